//! The template set: embedded in the binary, optionally overridden file by file from a
//! directory (`--templates DIR`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::GenerateError;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub const CATALOG: &str = "catalog.toml";

#[derive(Debug)]
pub struct Templates {
    files: BTreeMap<String, String>,
    embedded_catalog: String,
    override_catalog: Option<String>,
    /// Templates DIR replaced, relative names.
    pub overridden: Vec<String>,
    /// Templates DIR added that the embedded set does not have.
    pub added: Vec<String>,
    pub override_dir: Option<PathBuf>,
}

impl Templates {
    pub fn load(override_dir: Option<&Path>) -> Result<Templates, GenerateError> {
        let mut files = BTreeMap::new();
        collect_embedded(&EMBEDDED, &mut files)?;
        let embedded_catalog = files
            .remove(CATALOG)
            .ok_or_else(|| GenerateError::Template {
                name: CATALOG.into(),
                message: "missing from the binary".into(),
            })?;
        let mut templates = Templates {
            files,
            embedded_catalog,
            override_catalog: None,
            overridden: Vec::new(),
            added: Vec::new(),
            override_dir: override_dir.map(Path::to_path_buf),
        };
        if let Some(dir) = override_dir {
            templates.overlay(dir)?;
        }
        Ok(templates)
    }

    fn overlay(&mut self, dir: &Path) -> Result<(), GenerateError> {
        if !dir.is_dir() {
            return Err(GenerateError::Io {
                path: dir.display().to_string(),
                message: "--templates: not a directory".into(),
            });
        }
        for entry in ignore::WalkBuilder::new(dir)
            .hidden(false)
            .standard_filters(false)
            .build()
        {
            let entry = entry.map_err(|e| GenerateError::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(dir)
                .expect("walk stays below its root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read(entry.path())
                .map_err(|source| GenerateError::File {
                    path: entry.path().display().to_string(),
                    source,
                })
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|_| GenerateError::Io {
                        path: entry.path().display().to_string(),
                        message: "template is not UTF-8 text".into(),
                    })
                })?;
            if rel == CATALOG {
                self.override_catalog = Some(text);
            } else if self.files.insert(rel.clone(), text).is_some() {
                self.overridden.push(rel);
            } else {
                self.added.push(rel);
            }
        }
        self.overridden.sort();
        self.added.sort();
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// A template the generator itself needs: missing is an error.
    pub fn require(&self, name: &str) -> Result<&str, GenerateError> {
        self.get(name).ok_or_else(|| GenerateError::Template {
            name: name.into(),
            message: "missing".into(),
        })
    }

    /// Every Tera template (`*.tera`), by name.
    pub fn tera_sources(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .filter(|(name, _)| name.ends_with(".tera"))
            .map(|(n, t)| (n.as_str(), t.as_str()))
    }

    pub fn catalogs(&self) -> (&str, Option<&str>) {
        (&self.embedded_catalog, self.override_catalog.as_deref())
    }
}

fn collect_embedded(
    dir: &Dir<'static>,
    out: &mut BTreeMap<String, String>,
) -> Result<(), GenerateError> {
    for file in dir.files() {
        let name = file.path().to_string_lossy().replace('\\', "/");
        let text = file
            .contents_utf8()
            .ok_or_else(|| GenerateError::Template {
                name: name.clone(),
                message: "embedded template is not UTF-8".into(),
            })?;
        out.insert(name, text.to_owned());
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out)?;
    }
    Ok(())
}
