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
    if ws.root().join(".authgen/manifest.toml").is_file() {
        let dir = ws
            .source(".authgen/manifest.toml")
            .and_then(|m| toml::from_str::<toml::Table>(&m.text).ok())
            .and_then(|t| t.get("auth_dir")?.as_str().map(str::to_owned));
        dirs.extend(dir);
    }
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
