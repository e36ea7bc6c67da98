//! The model: facts several checks judge, extracted from the workspace's files at most once
//! per run (each fact is computed the first time a check asks, then cached in the
//! [`Workspace`]). Per-file facts (a JS file's module bindings, a Python file's imports, an
//! env file's entries) are cached on the [`SourceFile`] itself.

use std::cell::OnceCell;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::configure::Answers;

use super::lang::{arguments, callee, nodes_of, python, toml};
use super::workspace::{Lang, SourceFile, Workspace};

/// The cached facts of one workspace.
#[derive(Default)]
pub struct Model {
    answers: OnceCell<Option<(Answers, Rc<SourceFile>)>>,
    manifest: OnceCell<Option<crate::manifest::Manifest>>,
    better_auth: OnceCell<Vec<BetterAuthConfig>>,
    server_dirs: OnceCell<Vec<String>>,
    python_dependencies: OnceCell<Vec<PyDependency>>,
    cookie_writes: OnceCell<Vec<CookieWrite>>,
    env_reads: OnceCell<Vec<EnvRead>>,
    env_fallbacks: OnceCell<Vec<EnvFallback>>,
}

/// `authgen.toml` at the root, when it exists and parses.
pub fn answers(ws: &Workspace) -> Option<(Answers, Rc<SourceFile>)> {
    ws.model
        .answers
        .get_or_init(|| {
            let file = ws.source("authgen.toml")?;
            let answers = ::toml::from_str::<Answers>(&file.text).ok()?;
            Some((answers, file))
        })
        .clone()
}

/// `.authgen/manifest.toml` at the root, when it exists and parses. Read from disk: the walk
/// skips `.authgen/`, which holds nothing to check.
pub fn manifest(ws: &Workspace) -> Option<crate::manifest::Manifest> {
    ws.model
        .manifest
        .get_or_init(|| {
            crate::manifest::Manifest::read(ws.root())
                .ok()
                .filter(|m| *m != crate::manifest::Manifest::default())
        })
        .clone()
}

/// A `betterAuth({...})` call's options object.
#[derive(Clone)]
pub struct BetterAuthConfig {
    pub file: Rc<SourceFile>,
    /// Byte range of the options object literal.
    pub object: std::ops::Range<usize>,
}

impl BetterAuthConfig {
    pub fn node(&self) -> Option<Node<'_>> {
        let tree = self.file.tree()?;
        tree.root_node()
            .descendant_for_byte_range(self.object.start, self.object.end)
            .filter(|n| n.kind() == "object")
    }
}

/// Every `betterAuth({...})` options object in JS/TS sources.
pub fn better_auth_configs(ws: &Workspace) -> Vec<BetterAuthConfig> {
    ws.model
        .better_auth
        .get_or_init(|| extract_better_auth_configs(ws))
        .clone()
}

fn extract_better_auth_configs(ws: &Workspace) -> Vec<BetterAuthConfig> {
    let mut configs = Vec::new();
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        if !file.text.contains("betterAuth") {
            continue;
        }
        for call in nodes_of(&file, &["call_expression"]) {
            if callee(&file, call) != "betterAuth" {
                continue;
            }
            if let Some(object) = arguments(call).into_iter().find(|a| a.kind() == "object") {
                configs.push(BetterAuthConfig {
                    object: object.byte_range(),
                    file: file.clone(),
                });
            }
        }
    }
    configs
}

/// Env files with real values (not templates), with their sources.
pub fn value_env_files(ws: &Workspace) -> Vec<Rc<SourceFile>> {
    ws.env_files()
        .iter()
        .filter(|f| !super::workspace::is_env_template(crate::discover::file_name(f)))
        .filter_map(|f| ws.source(f))
        .collect()
}

/// Every env file, templates included.
pub fn all_env_files(ws: &Workspace) -> Vec<Rc<SourceFile>> {
    ws.env_files().iter().filter_map(|f| ws.source(f)).collect()
}

// ---------------------------------------------------------------------------------------
// The authgen-generated auth server and env-variable mentions. Added for cookie-flags and
// email-service; generic.

/// Directories of authgen-generated auth servers: `auth_dir` from `authgen.toml` or
/// `.authgen/manifest.toml` when that directory exists, and any directory whose
/// `src/config.rs` reads both `APP_ENV` and `COOKIE_SAME_SITE` (the generated config module).
pub fn authgen_server_dirs(ws: &Workspace) -> Vec<String> {
    ws.model
        .server_dirs
        .get_or_init(|| extract_server_dirs(ws))
        .clone()
}

fn extract_server_dirs(ws: &Workspace) -> Vec<String> {
    let mut dirs = Vec::new();
    if let Some(dir) = answers(ws).and_then(|(a, _)| a.auth_dir) {
        dirs.push(dir);
    }
    dirs.extend(manifest(ws).and_then(|m| m.auth_dir));
    for config in ws.named("config.rs") {
        let src = crate::discover::parent(config);
        if crate::discover::file_name(src) != "src" {
            continue;
        }
        let Some(file) = ws.source(config) else {
            continue;
        };
        if !file.text.contains("COOKIE_SAME_SITE") {
            continue;
        }
        let literals: Vec<String> = nodes_of(&file, &["string_literal"])
            .into_iter()
            .filter_map(|n| super::lang::string_value(&file, n))
            .collect();
        if literals.iter().any(|l| l == "APP_ENV")
            && literals.iter().any(|l| l == "COOKIE_SAME_SITE")
        {
            dirs.push(crate::discover::parent(src).to_owned());
        }
    }
    let mut dirs: Vec<String> = dirs
        .into_iter()
        .map(|d| d.trim_matches('/').trim_start_matches("./").to_owned())
        .map(|d| if d == "." { String::new() } else { d })
        .filter(|d| {
            let prefix = if d.is_empty() {
                String::new()
            } else {
                format!("{d}/")
            };
            ws.files().iter().any(|f| f.starts_with(&prefix))
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// Files that set a deployment's environment: fly.toml, render.yaml, railway/vercel/netlify/
/// wrangler configs, app.json, turbo.json (`env` lists), compose files, Dockerfiles, CI
/// workflows and other YAML manifests.
pub fn deploy_env_files(ws: &Workspace) -> Vec<Rc<SourceFile>> {
    ws.files()
        .iter()
        .filter(|f| {
            let name = crate::discover::file_name(f);
            !name.contains("lock")
                && (matches!(Lang::of(f), Lang::Yaml | Lang::Dockerfile)
                    || matches!(
                        name,
                        "fly.toml"
                            | "railway.toml"
                            | "railway.json"
                            | "netlify.toml"
                            | "wrangler.toml"
                            | "wrangler.json"
                            | "wrangler.jsonc"
                            | "vercel.json"
                            | "app.json"
                            | "turbo.json"
                            | "Procfile"
                    ))
        })
        .filter_map(|f| ws.source(f))
        .collect()
}

// ---- Python dependency declarations (requirements*.txt, pyproject.toml, Pipfile) ----

/// Where a Python dependency is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyDependencyFile {
    Requirements,
    Pyproject,
    Pipfile,
}

/// One declared Python dependency.
#[derive(Clone)]
pub struct PyDependency {
    pub file: Rc<SourceFile>,
    pub kind: PyDependencyFile,
    /// PEP 503-normalized: lowercase, runs of `-`, `_`, `.` as one `-`.
    pub name: String,
    /// The declaration: in a requirements file the requirement without marker, options or
    /// comment (`python-jose[cryptography]==3.3.0`); in pyproject.toml the dependency string,
    /// quotes included, or the Poetry key; in a Pipfile the key.
    pub span: std::ops::Range<usize>,
    /// For a Poetry or Pipfile key: its version string, quotes included, when it has one.
    pub version: Option<std::ops::Range<usize>>,
}

/// Every Python dependency declared in requirements files, pyproject.toml (PEP 621, PEP 735
/// groups, Poetry, uv, PDM) and Pipfiles. Lock files are not read: they list transitive
/// dependencies the project does not choose.
pub fn python_dependencies(ws: &Workspace) -> Vec<PyDependency> {
    ws.model
        .python_dependencies
        .get_or_init(|| extract_python_dependencies(ws))
        .clone()
}

fn extract_python_dependencies(ws: &Workspace) -> Vec<PyDependency> {
    let mut out = Vec::new();
    for rel in ws.files() {
        let name = crate::discover::file_name(rel);
        let kind = if python::is_requirements_file(rel) {
            PyDependencyFile::Requirements
        } else if name == "pyproject.toml" {
            PyDependencyFile::Pyproject
        } else if name == "Pipfile" {
            PyDependencyFile::Pipfile
        } else {
            continue;
        };
        let Some(file) = ws.source(rel) else { continue };
        let found = match kind {
            PyDependencyFile::Requirements => python::requirement_lines(&file.text)
                .into_iter()
                .map(|(name, span)| (name, span, None))
                .collect(),
            PyDependencyFile::Pyproject => toml::pyproject_dependencies(&file.text),
            PyDependencyFile::Pipfile => toml::pipfile_dependencies(&file.text),
        };
        out.extend(found.into_iter().map(|(name, span, version)| PyDependency {
            file: file.clone(),
            kind,
            name,
            span,
            version,
        }));
    }
    out
}

// ---- Cookie writes in application code ----

/// How a boolean-ish cookie option is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagValue {
    Absent,
    /// A literal `true`/`false` (`True`/`False`): its span.
    Literal(bool, Range<usize>),
    /// Anything else (`isProd`, `settings.secure`): an environment switch.
    Dynamic,
}

/// The language a cookie call is written in, for messages and fixes in its own syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieSyntax {
    /// Express `res.cookie`/`clearCookie`, Next.js `cookies().set`, Hono `setCookie`/
    /// `deleteCookie`, `cookie.serialize`: an options object.
    Js,
    /// Starlette/FastAPI `response.set_cookie`/`delete_cookie` keyword arguments; the
    /// function name as called.
    Python(String),
}

/// A cookie set or deleted by a call whose flags are all written at the call (calls that
/// spread an options object or pass flags positionally are not facts: their flags are
/// elsewhere).
#[derive(Clone)]
pub struct CookieWrite {
    pub file: Rc<SourceFile>,
    pub syntax: CookieSyntax,
    /// The cookie's name: the literal, or the expression as written.
    pub name: Option<String>,
    /// The call deletes the cookie, or sets it already expired (`maxAge: 0`, 1970).
    pub removal: bool,
    /// `sameSite` is the literal "none": (the value's span, the whole option's span).
    pub same_site_none: Option<(Range<usize>, Range<usize>)>,
    pub secure: FlagValue,
    pub http_only: FlagValue,
}

/// Every cookie write in JS/TS and Python sources (test files included; judges decide).
pub fn cookie_writes(ws: &Workspace) -> Vec<CookieWrite> {
    ws.model
        .cookie_writes
        .get_or_init(|| {
            let mut writes = Vec::new();
            for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
                if ["sameSite", "secure", "httpOnly"]
                    .iter()
                    .any(|w| file.text.contains(w))
                {
                    writes.extend(super::lang::js::cookie_writes(&file));
                }
            }
            for file in ws.sources_in(&[Lang::Python]) {
                if file.text.contains("set_cookie") || file.text.contains("delete_cookie") {
                    writes.extend(super::lang::python::cookie_writes(&file));
                }
            }
            writes
        })
        .clone()
}

// ---- Env variables read by name in code ----

/// Code that reads an env variable by a literal name.
#[derive(Clone)]
pub struct EnvRead {
    pub file: Rc<SourceFile>,
    pub key: String,
    /// The read expression (`process.env.AUTH_SECRET`, `os.getenv("AUTH_SECRET")`, ...).
    pub span: Range<usize>,
}

/// Every env read in JS/TS, Python and Rust sources, in file order.
pub fn env_reads(ws: &Workspace) -> Vec<EnvRead> {
    ws.model
        .env_reads
        .get_or_init(|| {
            let langs = [
                Lang::TypeScript,
                Lang::Tsx,
                Lang::JavaScript,
                Lang::Python,
                Lang::Rust,
            ];
            let mut reads = Vec::new();
            for file in ws.sources_in(&langs) {
                let found = match file.lang {
                    Lang::Python => super::lang::python::env_reads(&file),
                    Lang::Rust => super::lang::rust::env_reads(&file),
                    _ => super::lang::js::env_reads(&file),
                };
                reads.extend(found.into_iter().map(|(key, span)| EnvRead {
                    file: file.clone(),
                    key,
                    span,
                }));
            }
            reads
        })
        .clone()
}

// ---- Env reads with a literal fallback ----

/// An env read that falls back to a non-empty string literal when the variable is unset:
/// `process.env.X || "…"` / `?? "…"`, `const { X = "…" } = process.env`, a zod field
/// `X: z.string().default("…")`, `os.getenv("X", "…")`, `os.environ.get("X", "…")`, a
/// pydantic `BaseSettings` field `x: str = "…"`, `env::var("X").unwrap_or("…".into())`.
#[derive(Clone)]
pub struct EnvFallback {
    pub file: Rc<SourceFile>,
    pub key: String,
    /// The read as [`EnvRead`] has it (`process.env.X`, `os.getenv("X", "…")`,
    /// `env::var("X")`), or the destructured name, zod key or settings field.
    pub read: Range<usize>,
    /// The literal, quotes included.
    pub literal: Range<usize>,
    /// What removing the fallback rewrites and what it writes there: `` (delete `|| "…"`,
    /// `, "…"`, `= "…"`, `.default("…")`), or for Rust `.expect("X is not set")`. `None`
    /// when there is no edit that keeps the code valid.
    pub removal: Option<(Range<usize>, String)>,
}

/// Every env read with a literal fallback in JS/TS, Python and Rust sources, in file order.
pub fn env_fallbacks(ws: &Workspace) -> Vec<EnvFallback> {
    ws.model
        .env_fallbacks
        .get_or_init(|| {
            let mut out = Vec::new();
            for file in ws.sources_in(&[
                Lang::TypeScript,
                Lang::Tsx,
                Lang::JavaScript,
                Lang::Python,
                Lang::Rust,
            ]) {
                out.extend(match file.lang {
                    Lang::Python => super::lang::python::env_fallbacks(&file),
                    Lang::Rust => super::lang::rust::env_fallbacks(&file),
                    _ => super::lang::js::env_fallbacks(&file),
                });
            }
            out
        })
        .clone()
}
