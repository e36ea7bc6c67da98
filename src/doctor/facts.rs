//! Facts several checks share: the recorded `authgen.toml` answers and where Better Auth is
//! configured. Computed from the workspace's cached files, so asking twice costs nothing.

use std::rc::Rc;

use tree_sitter::Node;

use crate::configure::Answers;

use super::syntax::{arguments, callee, nodes_of};
use super::workspace::{Lang, SourceFile, Workspace};

/// `authgen.toml` at the root, when it exists and parses.
pub fn answers(ws: &Workspace) -> Option<(Answers, Rc<SourceFile>)> {
    let file = ws.source("authgen.toml")?;
    let answers = toml::from_str::<Answers>(&file.text).ok()?;
    Some((answers, file))
}

/// `.authgen/manifest.toml` at the root, when it exists and parses. Read from disk: the walk
/// skips `.authgen/`, which holds nothing to check.
pub fn manifest(ws: &Workspace) -> Option<crate::manifest::Manifest> {
    crate::manifest::Manifest::read(ws.root())
        .ok()
        .filter(|m| *m != crate::manifest::Manifest::default())
}

/// A `betterAuth({...})` call's options object.
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
            .filter_map(|n| super::syntax::string_value(&file, n))
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

/// Whether `text` holds `word` as a whole identifier (`RESEND_API_KEY`, not
/// `MY_RESEND_API_KEY_OLD`): for env files and deploy configs, never for source code.
pub fn mentions_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_ident)
            && !text[at + word.len()..].chars().next().is_some_and(is_ident)
    })
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
pub struct PyDependency {
    pub file: Rc<SourceFile>,
    pub kind: PyDependencyFile,
    /// PEP 503-normalized: lowercase, runs of `-`, `_`, `.` as one `-`.
    pub name: String,
    /// The declaration: in a requirements file the requirement without marker, options or
    /// comment (`python-jose[cryptography]==3.3.0`); in pyproject.toml the dependency string,
    /// quotes included, or the Poetry key; in a Pipfile the key.
    pub span: std::ops::Range<usize>,
}

/// PEP 503 name normalization.
pub fn normalize_py_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The distribution name at the start of a PEP 508 requirement (`passlib[bcrypt]>=1.7`).
pub fn pep508_name(spec: &str) -> Option<&str> {
    let spec = spec.trim_start();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    (!name.is_empty() && name.starts_with(|c: char| c.is_ascii_alphanumeric())).then_some(name)
}

/// `requirements.txt`, `requirements-dev.txt`, `requirements/base.txt`, `requirements.in`.
pub fn is_requirements_file(rel: &str) -> bool {
    let name = crate::discover::file_name(rel);
    let in_dir = crate::discover::file_name(crate::discover::parent(rel)) == "requirements";
    (name.ends_with(".txt") || name.ends_with(".in"))
        && (name.starts_with("requirements") || in_dir)
}

/// Every Python dependency declared in requirements files, pyproject.toml (PEP 621, PEP 735
/// groups, Poetry, uv, PDM) and Pipfiles. Lock files are not read: they list transitive
/// dependencies the project does not choose.
pub fn python_dependencies(ws: &Workspace) -> Vec<PyDependency> {
    let mut out = Vec::new();
    for rel in ws.files() {
        let name = crate::discover::file_name(rel);
        let kind = if is_requirements_file(rel) {
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
            PyDependencyFile::Requirements => requirement_lines(&file.text),
            PyDependencyFile::Pyproject => pyproject_dependencies(&file.text),
            PyDependencyFile::Pipfile => pipfile_dependencies(&file.text),
        };
        out.extend(found.into_iter().map(|(name, span)| PyDependency {
            file: file.clone(),
            kind,
            name,
            span,
        }));
    }
    out
}

/// (normalized name, requirement span) of each requirement line; options (`-r`, `-e`,
/// `--hash`), comments and URLs without a name are skipped.
fn requirement_lines(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut continued = false;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let was_continued = continued;
        continued = line.trim_end().ends_with('\\');
        if was_continued {
            continue; // `--hash=...` lines after `name==1.0 \`
        }
        let indent = line.len() - line.trim_start().len();
        let body = &line[indent..];
        if body.is_empty() || body.starts_with('#') || body.starts_with('-') {
            continue;
        }
        let mut end = body.len();
        for stop in [" #", "\t#", ";", " --", " \\"] {
            if let Some(i) = body.find(stop) {
                end = end.min(i);
            }
        }
        if body.ends_with('\\') {
            end = end.min(body.len() - 1);
        }
        let requirement = body[..end].trim_end();
        let Some(name) = pep508_name(requirement) else {
            continue;
        };
        if requirement.contains("://") && !requirement.contains('@') {
            continue;
        }
        let at = start + indent;
        out.push((normalize_py_name(name), at..at + requirement.len()));
    }
    out
}

fn toml_strings(item: Option<&toml_edit::Item>, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    let Some(array) = item.and_then(|i| i.as_array()) else {
        return;
    };
    for value in array.iter() {
        let (Some(spec), Some(span)) = (value.as_str(), value.span()) else {
            continue;
        };
        if let Some(name) = pep508_name(spec) {
            out.push((normalize_py_name(name), span));
        }
    }
}

fn toml_keys(item: Option<&toml_edit::Item>, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    let Some(table) = item.and_then(|i| i.as_table_like()) else {
        return;
    };
    for (key, _) in table.iter() {
        let Some((k, _)) = table.get_key_value(key) else {
            continue;
        };
        if let Some(span) = k.span() {
            out.push((normalize_py_name(key), span));
        }
    }
}

fn pyproject_dependencies(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return out;
    };
    let root = doc.as_item();
    let project = root.get("project");
    toml_strings(project.and_then(|p| p.get("dependencies")), &mut out);
    for groups in [
        project.and_then(|p| p.get("optional-dependencies")),
        root.get("dependency-groups"),
        root.get("tool")
            .and_then(|t| t.get("pdm"))
            .and_then(|p| p.get("dev-dependencies")),
    ] {
        if let Some(table) = groups.and_then(|g| g.as_table_like()) {
            for (_, list) in table.iter() {
                toml_strings(Some(list), &mut out);
            }
        }
    }
    toml_strings(
        root.get("tool")
            .and_then(|t| t.get("uv"))
            .and_then(|u| u.get("dev-dependencies")),
        &mut out,
    );
    if let Some(poetry) = root.get("tool").and_then(|t| t.get("poetry")) {
        for key in ["dependencies", "dev-dependencies"] {
            toml_keys(poetry.get(key), &mut out);
        }
        if let Some(groups) = poetry.get("group").and_then(|g| g.as_table_like()) {
            for (_, group) in groups.iter() {
                toml_keys(group.get("dependencies"), &mut out);
            }
        }
    }
    out.retain(|(name, _)| name != "python");
    out
}

fn pipfile_dependencies(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return out;
    };
    for key in ["packages", "dev-packages"] {
        toml_keys(doc.as_item().get(key), &mut out);
    }
    out
}

#[cfg(test)]
mod python_dependency_tests {
    use super::*;

    #[test]
    fn requirement_lines_skip_options_comments_and_hash_continuations() {
        let text = "# deps\n-r base.txt\npython-jose[cryptography]==3.3.0  # jwt\n\
                    passlib[bcrypt]>=1.7 ; python_version >= \"3.8\"\nbcrypt==4.0.1 \\\n    --hash=sha256:abc\n\
                    Django_Extensions\n";
        let found = requirement_lines(text);
        let got: Vec<_> = found
            .iter()
            .map(|(n, s)| (n.as_str(), &text[s.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("python-jose", "python-jose[cryptography]==3.3.0"),
                ("passlib", "passlib[bcrypt]>=1.7"),
                ("bcrypt", "bcrypt==4.0.1"),
                ("django-extensions", "Django_Extensions"),
            ]
        );
    }

    #[test]
    fn pipfile_packages_and_dev_packages() {
        let text = "[packages]\nfastapi = \"*\"\n\"python-jose\" = {extras = [\"cryptography\"], version = \"*\"}\n\n[dev-packages]\npytest = \"*\"\n";
        let found = pipfile_dependencies(text);
        let got: Vec<_> = found
            .iter()
            .map(|(n, s)| (n.as_str(), &text[s.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("fastapi", "fastapi"),
                ("python-jose", "\"python-jose\""),
                ("pytest", "pytest")
            ]
        );
    }

    #[test]
    fn pyproject_pep621_groups_and_poetry() {
        let text = "[project]\nname = \"api\"\ndependencies = [\"fastapi>=0.110\", \"python-jose[cryptography]\"]\n\
                    [project.optional-dependencies]\nauth = [\"passlib\"]\n\
                    [tool.poetry.dependencies]\npython = \"^3.12\"\nPyJWT = \"^2.8\"\n";
        let found = pyproject_dependencies(text);
        let got: Vec<_> = found
            .iter()
            .map(|(n, s)| (n.as_str(), &text[s.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("fastapi", "\"fastapi>=0.110\""),
                ("python-jose", "\"python-jose[cryptography]\""),
                ("passlib", "\"passlib\""),
                ("pyjwt", "PyJWT"),
            ]
        );
    }
}
