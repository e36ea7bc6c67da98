//! `templates/catalog.toml`: which template renders to which file, and when. Output paths
//! and conditions are Tera expressions over the generation context, so adding a template is
//! adding files, not Rust.

use serde::Deserialize;

use super::GenerateError;
use super::templates::{CATALOG, Templates};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Name of the template, relative to templates/.
    pub template: String,
    /// Output path relative to the repository root; a Tera template itself.
    pub output: String,
    /// A Tera condition (`config.deploy == "docker"`); absent means always.
    #[serde(default)]
    pub when: Option<String>,
    /// Write the file with the executable bit (scripts).
    #[serde(default)]
    pub executable: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default, rename = "file")]
    files: Vec<Entry>,
}

#[derive(Debug)]
pub struct Catalog {
    pub entries: Vec<Entry>,
}

impl Catalog {
    /// The embedded catalog, extended by the override directory's: an entry with the same
    /// `template` replaces the embedded one, a new one is appended.
    pub fn load(templates: &Templates) -> Result<Catalog, GenerateError> {
        let (embedded, overlay) = templates.catalogs();
        let mut entries = parse(embedded, CATALOG)?;
        if let Some(text) = overlay {
            for entry in parse(text, &format!("{} (--templates)", CATALOG))? {
                match entries.iter_mut().find(|e| e.template == entry.template) {
                    Some(existing) => *existing = entry,
                    None => entries.push(entry),
                }
            }
        }
        for entry in &entries {
            if templates.get(&entry.template).is_none() {
                return Err(GenerateError::Template {
                    name: entry.template.clone(),
                    message: format!("listed in {CATALOG} but no such template exists"),
                });
            }
        }
        Ok(Catalog { entries })
    }
}

fn parse(text: &str, name: &str) -> Result<Vec<Entry>, GenerateError> {
    toml::from_str::<CatalogFile>(text)
        .map(|c| c.files)
        .map_err(|e| GenerateError::Template {
            name: name.to_owned(),
            message: e.to_string(),
        })
}
