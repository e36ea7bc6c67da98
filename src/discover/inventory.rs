//! One walk of the repository, remembered as a sorted list of relative paths.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// Directories that never hold the project's own sources.
pub const PRUNED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".next",
    ".nuxt",
    ".svelte-kit",
    "dist",
    "build",
    "out",
    ".turbo",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".cache",
    "site-packages",
    "coverage",
    ".authgen",
    "vendor",
];

/// Deeper than this is never where a backend, frontend or manifest lives.
const MAX_DEPTH: usize = 8;
/// Manifests and source files larger than this are not read (minified bundles, dumps).
const MAX_READ: u64 = 4 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Inventory {
    pub root: PathBuf,
    /// Relative paths of regular files (and symlinks to them), `/`-separated, sorted.
    pub files: Vec<String>,
    pub dirs: BTreeSet<String>,
    pub warnings: Vec<String>,
}

impl Inventory {
    pub fn walk(root: &Path) -> Inventory {
        Inventory::walk_to_depth(root, MAX_DEPTH)
    }

    /// [`Inventory::walk`] with another depth limit (the doctor looks deeper than discovery).
    pub fn walk_to_depth(root: &Path, max_depth: usize) -> Inventory {
        let mut inv = Inventory {
            root: root.to_path_buf(),
            ..Inventory::default()
        };
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .follow_links(false)
            .require_git(false)
            .max_depth(Some(max_depth))
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if !is_dir || entry.depth() == 0 {
                    return true;
                }
                let name = entry.file_name().to_string_lossy();
                !PRUNED_DIRS.contains(&name.as_ref()) && !entry.path().join("pyvenv.cfg").exists()
            })
            .build();
        for result in walker {
            let entry = match result {
                Ok(entry) => entry,
                Err(err) => {
                    inv.warnings.push(describe_walk_error(root, &err));
                    continue;
                }
            };
            if entry.depth() == 0 {
                continue;
            }
            let Some(rel) = relative(root, entry.path()) else {
                continue;
            };
            match entry.file_type() {
                Some(t) if t.is_dir() => {
                    inv.dirs.insert(rel);
                }
                Some(t) if t.is_file() || t.is_symlink() => inv.files.push(rel),
                _ => {}
            }
        }
        inv.files.sort();
        inv
    }

    pub fn has_file(&self, rel: &str) -> bool {
        self.files.binary_search_by(|f| f.as_str().cmp(rel)).is_ok()
    }

    pub fn has_dir(&self, rel: &str) -> bool {
        rel.is_empty() || self.dirs.contains(rel)
    }

    /// Files whose last path component is `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.files.iter().filter(move |f| file_name(f) == name)
    }

    /// Files below `dir` (recursively); `` is the root.
    pub fn under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.files.iter().filter(move |f| {
            dir.is_empty() || f.starts_with(dir) && f.as_bytes().get(dir.len()) == Some(&b'/')
        })
    }

    /// Read a file as text. Unreadable, oversized, special and non-UTF-8 files are a warning.
    pub fn read_text(&self, rel: &str, warnings: &mut Vec<String>) -> Option<String> {
        match self.read_bytes(rel) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(_) => {
                    warnings.push(format!("{rel}: not UTF-8 text, skipped"));
                    None
                }
            },
            Err(reason) => {
                warnings.push(format!("{rel}: {reason}, skipped"));
                None
            }
        }
    }

    /// Read a file's bytes, refusing anything but a regular file of sane size.
    pub fn read_bytes(&self, rel: &str) -> Result<Vec<u8>, String> {
        let path = self.root.join(rel);
        let meta = fs::metadata(&path).map_err(|e| io_reason(&e))?;
        if !meta.is_file() {
            return Err("not a regular file".to_owned());
        }
        if meta.len() > MAX_READ {
            return Err(format!("larger than {} MiB", MAX_READ / 1024 / 1024));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        fs::File::open(&path)
            .and_then(|f| f.take(MAX_READ).read_to_end(&mut bytes))
            .map_err(|e| io_reason(&e))?;
        Ok(bytes)
    }
}

pub fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The directory part of a relative path; `` for files at the root.
pub fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::NotFound => "dangling symlink or vanished".to_owned(),
        _ if err.raw_os_error() == Some(40) => "symlink loop".to_owned(),
        _ => err.to_string(),
    }
}

fn describe_walk_error(root: &Path, err: &ignore::Error) -> String {
    let path = walk_error_path(err)
        .and_then(|p| relative(root, p))
        .unwrap_or_else(|| "(unknown path)".to_owned());
    let reason = err
        .io_error()
        .map(io_reason)
        .unwrap_or_else(|| err.to_string());
    format!("{path}: {reason}, skipped")
}

fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}
