//! The repository as the checks see it: one walk, and every file read and parsed lazily, at
//! most once, whichever checks ask for it.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use tree_sitter::{Language, Parser, Tree};

use crate::discover::Inventory;

use super::finding::Position;
pub use super::lang::env::{EnvEntry, parse_env};
use super::lang::js::JsBinding;

/// Deep enough for `apps/web/src/app/api/auth/[...all]/route.ts` in a monorepo.
const MAX_DEPTH: usize = 14;

/// How a file is parsed, decided by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Rust,
    Json,
    Sql,
    Toml,
    Yaml,
    Env,
    Prisma,
    Dockerfile,
    Other,
}

impl Lang {
    pub fn of(rel: &str) -> Lang {
        let name = crate::discover::file_name(rel);
        if is_env_file_name(name) {
            return Lang::Env;
        }
        if name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile")
        {
            return Lang::Dockerfile;
        }
        match name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("py") => Lang::Python,
            Some("ts" | "mts" | "cts") => Lang::TypeScript,
            Some("tsx") => Lang::Tsx,
            Some("js" | "mjs" | "cjs" | "jsx") => Lang::JavaScript,
            Some("rs") => Lang::Rust,
            Some("json") => Lang::Json,
            Some("sql") => Lang::Sql,
            Some("toml") => Lang::Toml,
            Some("yaml" | "yml") => Lang::Yaml,
            Some("prisma") => Lang::Prisma,
            _ => Lang::Other,
        }
    }

    fn grammar(self) -> Option<Language> {
        Some(match self {
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Json => tree_sitter_json::LANGUAGE.into(),
            _ => return None,
        })
    }

    pub fn is_js(self) -> bool {
        matches!(self, Lang::TypeScript | Lang::Tsx | Lang::JavaScript)
    }
}

/// `.env`, `.env.local`, `.env.production`, `api.env`, ... (not `.envrc`).
pub fn is_env_file_name(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env")
}

/// Env files meant to be committed: names and placeholders, no real values.
pub fn is_env_template(name: &str) -> bool {
    [".example", ".sample", ".template", ".dist", ".defaults"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// One file's text, its line index and (on first use) its syntax tree.
pub struct SourceFile {
    pub rel: String,
    pub text: String,
    pub lang: Lang,
    line_starts: Vec<usize>,
    tree: OnceCell<Option<Tree>>,
    env: OnceCell<Vec<EnvEntry>>,
    js_bindings: OnceCell<Vec<JsBinding>>,
    py_imports: OnceCell<Vec<(String, String)>>,
}

impl SourceFile {
    pub fn new(rel: impl Into<String>, text: String) -> SourceFile {
        let rel = rel.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            lang: Lang::of(&rel),
            rel,
            text,
            line_starts,
            tree: OnceCell::new(),
            env: OnceCell::new(),
            js_bindings: OnceCell::new(),
            py_imports: OnceCell::new(),
        }
    }

    /// The tree-sitter tree for Python, TypeScript/TSX/JavaScript, Rust and JSON files.
    pub fn tree(&self) -> Option<&Tree> {
        self.tree
            .get_or_init(|| {
                let grammar = self.lang.grammar()?;
                let mut parser = Parser::new();
                parser.set_language(&grammar).ok()?;
                parser.parse(&self.text, None)
            })
            .as_ref()
    }

    /// Whether the file parses without syntax errors in its language (files without a parser
    /// count as parsing).
    pub fn parses(&self) -> bool {
        match self.lang {
            Lang::Sql => crate::doctor::lang::sql::sql_statements(&self.text).is_ok(),
            Lang::Toml => self.text.parse::<toml_edit::DocumentMut>().is_ok(),
            Lang::Yaml => serde_yaml::from_str::<serde_yaml::Value>(&self.text).is_ok(),
            _ => self.tree().is_none_or(|tree| !tree.root_node().has_error()),
        }
    }

    pub fn slice(&self, range: Range<usize>) -> &str {
        &self.text[range]
    }

    pub fn node_text(&self, node: tree_sitter::Node<'_>) -> &str {
        &self.text[node.byte_range()]
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= byte) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..byte)
            .map_or(byte - start, |s| s.chars().count())
            + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// Byte offset of a 1-based line and column (in characters).
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        self.text[start..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// Byte range of the 1-based line `line`, without its newline.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        start..end.max(start)
    }

    /// `KEY=value` lines of an env file (any file, but meant for [`Lang::Env`]).
    pub fn env(&self) -> &[EnvEntry] {
        self.env.get_or_init(|| parse_env(&self.text))
    }

    /// The names a JS/TS file binds from modules (imports and `require`), extracted once.
    pub fn js_bindings(&self) -> &[JsBinding] {
        self.js_bindings
            .get_or_init(|| super::lang::js::js_import_bindings(self))
    }

    /// What a Python file imports: (module path, local name), extracted once.
    pub fn py_imports(&self) -> &[(String, String)] {
        self.py_imports
            .get_or_init(|| super::lang::python::py_imports(self))
    }

    pub fn env_value(&self, key: &str) -> Option<&EnvEntry> {
        self.env().iter().rev().find(|entry| entry.key == key)
    }

    pub fn name(&self) -> &str {
        crate::discover::file_name(&self.rel)
    }

    pub fn dir(&self) -> &str {
        crate::discover::parent(&self.rel)
    }
}

/// The repository: its file list (one walk) and a cache of read and parsed files.
pub struct Workspace {
    root: PathBuf,
    inventory: Inventory,
    /// The files in the git index under the root (they are part of the walk's list too).
    tracked: Vec<String>,
    /// Env files that .gitignore hides from the walk but that checks must still read.
    ignored_env_files: BTreeSet<String>,
    cache: RefCell<HashMap<String, Option<Rc<SourceFile>>>>,
    warnings: RefCell<Vec<String>>,
    /// Facts several checks read, extracted at most once ([`super::facts`]).
    pub(super) model: super::facts::Model,
}

impl Workspace {
    pub fn open(root: &Path) -> Workspace {
        let mut inventory = Inventory::walk_to_depth(root, MAX_DEPTH);
        // A file git tracks is in the repository for everyone, whatever .gitignore says
        // (it may have been committed before the rule, or added with `git add -f`).
        let tracked = tracked_files(root);
        let before = inventory.files.len();
        for rel in &tracked {
            let depth = rel.split('/').count();
            let pruned = rel
                .split('/')
                .any(|part| crate::discover::PRUNED_DIRS.contains(&part));
            if depth <= MAX_DEPTH
                && !pruned
                && !inventory.has_file(rel)
                && root.join(rel).symlink_metadata().is_ok_and(|m| m.is_file())
            {
                inventory.files.push(rel.clone());
            }
        }
        if inventory.files.len() > before {
            inventory.files.sort();
        }
        let mut ignored_env_files = BTreeSet::new();
        let dirs = std::iter::once(String::new()).chain(inventory.dirs.iter().cloned());
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel = crate::discover::join_rel(&dir, &name);
                if is_env_file_name(&name)
                    && entry.file_type().is_ok_and(|t| t.is_file())
                    && !inventory.has_file(&rel)
                {
                    ignored_env_files.insert(rel);
                }
            }
        }
        let warnings = RefCell::new(inventory.warnings.clone());
        Workspace {
            root: root.to_path_buf(),
            inventory,
            tracked,
            ignored_env_files,
            cache: RefCell::new(HashMap::new()),
            warnings,
            model: super::facts::Model::default(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The files git tracks under the root, relative to it: none outside a repository.
    pub fn tracked_files(&self) -> &[String] {
        &self.tracked
    }

    /// Every file the walk found (not ignored), sorted, `/`-separated.
    pub fn files(&self) -> &[String] {
        &self.inventory.files
    }

    /// Files in the given languages.
    pub fn files_in<'a>(&'a self, langs: &'a [Lang]) -> impl Iterator<Item = &'a String> + 'a {
        self.files()
            .iter()
            .filter(move |f| langs.contains(&Lang::of(f)))
    }

    /// Files whose name is `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.inventory.named(name)
    }

    pub fn has_file(&self, rel: &str) -> bool {
        self.inventory.has_file(rel) || self.ignored_env_files.contains(rel)
    }

    /// Every env file, including those .gitignore hides (they are where secrets live).
    pub fn env_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self
            .files()
            .iter()
            .filter(|f| is_env_file_name(crate::discover::file_name(f)))
            .cloned()
            .chain(self.ignored_env_files.iter().cloned())
            .collect();
        files.sort();
        files
    }

    /// Whether .gitignore hides this file from the walk.
    pub fn is_ignored(&self, rel: &str) -> bool {
        self.ignored_env_files.contains(rel)
    }

    /// The file, read once. Unreadable, oversized and non-UTF-8 files are `None` and a
    /// warning, once.
    pub fn source(&self, rel: &str) -> Option<Rc<SourceFile>> {
        if let Some(cached) = self.cache.borrow().get(rel) {
            return cached.clone();
        }
        if !self.has_file(rel) {
            return None;
        }
        let mut warnings = Vec::new();
        let file = self
            .inventory
            .read_text(rel, &mut warnings)
            .map(|text| Rc::new(SourceFile::new(rel, text)));
        self.warnings.borrow_mut().extend(warnings);
        self.cache.borrow_mut().insert(rel.to_owned(), file.clone());
        file
    }

    /// Sources of every readable file in `langs`.
    pub fn sources_in(&self, langs: &[Lang]) -> Vec<Rc<SourceFile>> {
        self.files_in(langs)
            .filter_map(|f| self.source(f))
            .collect()
    }

    /// Files that could not be read or parsed, with the reason.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = self.warnings.borrow().clone();
        warnings.sort();
        warnings.dedup();
        warnings
    }

    pub fn warn(&self, warning: String) {
        self.warnings.borrow_mut().push(warning);
    }
}

/// The paths in the git index of the repository holding `root`, relative to `root`, sorted;
/// none when `root` is in no repository (or it cannot be read).
fn tracked_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(repo) = git2::Repository::discover(root) else {
        return out;
    };
    let (Some(workdir), Ok(index)) = (repo.workdir(), repo.index()) else {
        return out;
    };
    let (Ok(workdir), Ok(root)) = (workdir.canonicalize(), root.canonicalize()) else {
        return out;
    };
    let Ok(prefix) = root.strip_prefix(&workdir) else {
        return out;
    };
    let prefix = prefix.to_string_lossy().replace('\\', "/");
    for entry in index.iter() {
        let Ok(path) = std::str::from_utf8(&entry.path) else {
            continue;
        };
        let rel = if prefix.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(prefix.as_str())
                .and_then(|p| p.strip_prefix('/'))
        };
        if let Some(rel) = rel {
            out.push(rel.to_owned());
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let file = SourceFile::new("a.py", "é = 1\nx = 2\n".to_owned());
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.position(4), Position { line: 1, column: 4 });
        assert_eq!(file.position(7), Position { line: 2, column: 1 });
        assert_eq!(file.line_range(2), 7..12);
    }
}
