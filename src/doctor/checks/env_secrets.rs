//! `env-secrets`: the signing secret missing where code reads it, weak or a placeholder,
//! exposed to browsers, different between issuer and verifier (HS256), or written into
//! source and deploy files.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/env-secrets.md`.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::doctor::facts;
use crate::doctor::finding::{Content, Edit, Finding, Fix, Severity};
use crate::doctor::lang::js::property_pair;
use crate::doctor::lang::{self, fields};
use crate::doctor::lang::{nodes_of, string_value};
use crate::doctor::workspace::{Lang, SourceFile, Workspace, is_env_file_name, is_env_template};
use crate::secret::{self, SECRET_KEYS, is_signing_secret_name};

use super::Check;

pub struct EnvSecrets;

const ID: &str = "env-secrets";

impl Check for EnvSecrets {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let fresh = Content::fresh_secret("", "");
    let env_files = facts::all_env_files(ws);
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for file in &env_files {
        let template = is_env_template(file.name());
        for entry in file.env() {
            defined.insert(entry.key.clone());
            if is_public(&entry.key) && entry.key.contains("SECRET") && !entry.value.is_empty() {
                let line = whole_line(file, entry.line.clone());
                out.push(
                    Finding::new(ID, file, entry.key_span.clone(), format!("{} is a secret exposed to the browser: bundlers inline every {} variable into client JavaScript", entry.key, public_prefix(&entry.key)))
                        .help("keep the secret server-side under a name without the public prefix, and rotate it: it has been shipped to browsers")
                        .fix(Fix::unsafe_("remove the client-exposed copy", vec![Edit::delete(file, line)])),
                );
            }
            if template || !is_signing_secret_name(&entry.key) {
                continue;
            }
            // A verifier key is derived from the auth server's secret: a value generated here
            // would not match it.
            let generated = SECRET_KEYS.contains(&entry.key.as_str());
            if entry.value.is_empty() {
                let finding = Finding::new(
                    ID,
                    file,
                    entry.key_span.clone(),
                    format!(
                        "{} is empty: the server refuses to start or signs with an empty key",
                        entry.key
                    ),
                );
                out.push(if generated {
                    finding
                        .help("run `authgen secret --write`, or `authgen doctor --fix`")
                        .fix(Fix::safe(
                            "write a fresh 32-byte secret",
                            vec![Edit::replace(file, entry.value_span.clone(), fresh.clone())],
                        ))
                } else {
                    finding.help(DERIVED_HELP)
                });
            } else if let Some(why) = secret::weakness(&entry.value) {
                let finding = Finding::new(
                    ID,
                    file,
                    entry.value_span.clone(),
                    format!("{} {why}: tokens signed with it can be forged", entry.key),
                );
                out.push(if generated {
                    finding
                        .help("replace it with 32 random bytes (`authgen secret --write`); every session signed with the old value ends")
                        .fix(Fix::unsafe_("replace it with a fresh 32-byte secret", vec![Edit::replace(file, entry.value_span.clone(), fresh.clone())]))
                } else {
                    finding.help(DERIVED_HELP)
                });
            }
        }
    }
    mismatch(ws, out);
    derived_mismatch(ws, out);
    take_over_mismatch(ws, out);
    deploy_files(ws, &mut defined, out);
    literals(ws, out);
    fallbacks(ws, out);
    missing(ws, &defined, out);
    // Agent, template, docs, spec and test folders are not the application's configuration.
    out.retain(|f| !lang::is_outside_app(&f.file));
}

const DERIVED_HELP: &str = "it is the HS256 key derived from the auth server's AUTH_SECRET: `authgen secret --write` writes a fresh AUTH_SECRET and this key together (the old secret stays readable as AUTH_SECRET_PREVIOUS)";

fn is_public(key: &str) -> bool {
    [
        "NEXT_PUBLIC_",
        "VITE_",
        "PUBLIC_",
        "REACT_APP_",
        "EXPO_PUBLIC_",
        "NUXT_PUBLIC_",
    ]
    .iter()
    .any(|p| key.starts_with(p))
}

fn public_prefix(key: &str) -> &str {
    [
        "NEXT_PUBLIC_",
        "VITE_",
        "PUBLIC_",
        "REACT_APP_",
        "EXPO_PUBLIC_",
        "NUXT_PUBLIC_",
    ]
    .into_iter()
    .find(|p| key.starts_with(p))
    .unwrap_or(key)
}

fn whole_line(file: &SourceFile, line: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let end = if file.text[line.end..].starts_with('\n') {
        line.end + 1
    } else {
        line.end
    };
    line.start..end
}

/// HS256: the auth server's AUTH_SECRET and the backend's must be the same bytes.
fn mismatch(ws: &Workspace, out: &mut Vec<Finding>) {
    let Some((answers, _)) = facts::answers(ws) else {
        return;
    };
    if answers.algorithm != Some(crate::configure::Algorithm::Hs256) {
        return;
    }
    let (Some(auth_dir), Some(backend_dir)) =
        (answers.auth_dir.as_deref(), answers.backend_dir.as_deref())
    else {
        return;
    };
    let fresh = Content::fresh_secret("", "");
    for name in [".env", ".env.local", ".env.production"] {
        let issuer = ws.source(&crate::discover::join_rel(auth_dir, name));
        let verifier = ws.source(&crate::discover::join_rel(backend_dir, name));
        let (Some(issuer), Some(verifier)) = (issuer, verifier) else {
            continue;
        };
        let (Some(a), Some(b)) = (
            issuer.env_value("AUTH_SECRET"),
            verifier.env_value("AUTH_SECRET"),
        ) else {
            continue;
        };
        if a.value.is_empty() || b.value.is_empty() || a.value == b.value {
            continue;
        }
        out.push(
            Finding::new(ID, &verifier, b.value_span.clone(), format!("AUTH_SECRET differs from the auth server's ({}): with HS256 every token fails signature verification (401 on every request)", issuer.rel))
                .help("use the same value on both sides (`authgen secret --write` writes one to both)")
                .fix(Fix::unsafe_(
                    "write one fresh secret to both sides",
                    vec![
                        Edit::replace(&issuer, a.value_span.clone(), fresh.clone()),
                        Edit::replace(&verifier, b.value_span.clone(), fresh.clone()),
                    ],
                )),
        );
    }
}

/// A backend's AUTH_JWT_KEY that is not [`secret::hs256_verifier_key`] of the AUTH_SECRET in
/// the generated auth server's env file of the same name: the server signs with the derived
/// key, so the backend rejects every token.
fn derived_mismatch(ws: &Workspace, out: &mut Vec<Finding>) {
    let servers = facts::authgen_server_dirs(ws);
    let in_server = |rel: &str| {
        servers
            .iter()
            .any(|d| d.is_empty() || rel.starts_with(&format!("{d}/")))
    };
    for verifier in facts::value_env_files(ws) {
        let Some(key) = verifier
            .env_value("AUTH_JWT_KEY")
            .filter(|k| !k.value.is_empty())
        else {
            continue;
        };
        if in_server(&verifier.rel) {
            continue;
        }
        for dir in &servers {
            let Some(issuer) = ws.source(&crate::discover::join_rel(dir, verifier.name())) else {
                continue;
            };
            let Some(root) = issuer
                .env_value("AUTH_SECRET")
                .filter(|s| !s.value.is_empty())
            else {
                continue;
            };
            if secret::hs256_verifier_key(&root.value) == key.value {
                continue;
            }
            out.push(
                Finding::new(ID, &verifier, key.value_span.clone(), format!("AUTH_JWT_KEY is not the key derived from the auth server's AUTH_SECRET ({}): the server signs HS256 tokens with that derived key, so every token fails verification here (401 on every request)", issuer.rel))
                    .help(DERIVED_HELP),
            );
        }
    }
}

/// A generated server taking over a Better Auth deployment (`take_over = "better-auth"`) whose
/// env file of the same name as the Better Auth server's disagrees with it: another
/// database, or no copy of Better Auth's secret (as AUTH_SECRET, AUTH_SECRET_PREVIOUS, or
/// BETTER_AUTH_SECRET read in AUTH_SECRET's place).
fn take_over_mismatch(ws: &Workspace, out: &mut Vec<Finding>) {
    let Some((answers, _)) = facts::answers(ws) else {
        return;
    };
    if answers.take_over != Some(crate::configure::TakeOver::BetterAuth) {
        return;
    }
    let servers = facts::authgen_server_dirs(ws);
    let in_server = |rel: &str| {
        servers
            .iter()
            .any(|d| d.is_empty() || rel.starts_with(&format!("{d}/")))
    };
    let value = |file: &SourceFile, key: &str| {
        file.env_value(key)
            .filter(|e| !e.value.is_empty())
            .map(|e| e.value.clone())
    };
    for old in facts::value_env_files(ws) {
        let Some(old_secret) = value(&old, "BETTER_AUTH_SECRET") else {
            continue;
        };
        if in_server(&old.rel) {
            continue;
        }
        for dir in &servers {
            let Some(new) = ws.source(&crate::discover::join_rel(dir, old.name())) else {
                continue;
            };
            if let (Some(a), Some(b)) = (value(&old, "DATABASE_URL"), new.env_value("DATABASE_URL"))
            {
                if !b.value.is_empty() && a != b.value {
                    out.push(
                        Finding::new(ID, &new, b.value_span.clone(), format!("DATABASE_URL is not the database of the Better Auth server this server takes over ({}): the import reads Better Auth's users, sessions and keys from DATABASE_URL", old.rel))
                            .help("point both at the database Better Auth uses (SETUP.md, \"Switching from Better Auth\")"),
                    );
                    continue;
                }
            }
            let secret = value(&new, "AUTH_SECRET");
            let carried = [
                secret.clone(),
                value(&new, "AUTH_SECRET_PREVIOUS"),
                value(&new, "BETTER_AUTH_SECRET").filter(|_| secret.is_none()),
            ];
            if carried.iter().flatten().any(|v| *v == old_secret) {
                continue;
            }
            let span = new
                .env_value("AUTH_SECRET")
                .or_else(|| new.env_value("BETTER_AUTH_SECRET"))
                .map(|e| e.key_span.clone())
                .unwrap_or(0..0);
            out.push(
                Finding::new(ID, &new, span, format!("none of AUTH_SECRET, AUTH_SECRET_PREVIOUS is the BETTER_AUTH_SECRET of the Better Auth server this server takes over ({}): the browsers signed in there are signed out at the switch, and its signing keys cannot be imported", old.rel))
                    .help("set AUTH_SECRET_PREVIOUS to Better Auth's BETTER_AUTH_SECRET (SETUP.md, \"Switching from Better Auth\")"),
            );
        }
    }
}

/// Secrets written as literals into compose files, fly.toml `[env]` and Dockerfile `ENV`;
/// keys set there (as references) count as defined.
fn deploy_files(ws: &Workspace, defined: &mut BTreeSet<String>, out: &mut Vec<Finding>) {
    for rel in ws.files() {
        let name = crate::discover::file_name(rel);
        let Some(kind) = DeployFile::of(rel) else {
            continue;
        };
        let Some(file) = ws.source(rel) else {
            continue;
        };
        if let DeployFile::Compose = kind {
            compose_env_files(ws, &file, defined, out);
        }
        let settings = match kind {
            DeployFile::Compose | DeployFile::Dockerfile | DeployFile::TomlEnv => deploy_env(&file),
            DeployFile::Yaml => yaml_settings(&file),
            DeployFile::Script => script_settings(&file),
        };
        for (key, value, span) in settings {
            defined.insert(key.clone());
            if is_signing_secret_name(&key) && is_literal(&value) {
                out.push(
                    Finding::new(ID, &file, span, format!("{key} is written into {name}: everyone with the repository can sign tokens"))
                        .help("reference it from the environment (`${AUTH_SECRET}`, `${{ secrets.AUTH_SECRET }}`, a Kubernetes `secretKeyRef`, `fly secrets set`, the platform's secret store) and rotate it"),
                );
            }
        }
    }
}

/// The files a compose file's services load with `env_file:` that are not named like env
/// files (`deploy/app.conf`, `env/production`; `.env*` files are read as env files anyway):
/// their settings are deploy settings, and a secret written there is in the repository (a
/// file .gitignore keeps out of it is not read).
fn compose_env_files(
    ws: &Workspace,
    compose: &SourceFile,
    defined: &mut BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(&compose.text) else {
        return;
    };
    let Some(services) = doc.get("services").and_then(|s| s.as_mapping()) else {
        return;
    };
    let mut targets = BTreeSet::new();
    for service in services.values() {
        let paths: Vec<&str> = match service.get("env_file") {
            Some(serde_yaml::Value::String(path)) => vec![path.as_str()],
            Some(serde_yaml::Value::Sequence(items)) => items
                .iter()
                .filter_map(|i| i.as_str().or_else(|| i.get("path")?.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        for path in paths {
            let path = path.trim_start_matches("./");
            if !path.contains("..") && !path.starts_with('/') {
                targets.insert(crate::discover::join_rel(compose.dir(), path));
            }
        }
    }
    for rel in targets {
        let name = crate::discover::file_name(&rel).to_owned();
        if is_env_file_name(&name) {
            continue;
        }
        let Some(file) = ws.source(&rel) else {
            continue;
        };
        for entry in file.env() {
            defined.insert(entry.key.clone());
            if is_signing_secret_name(&entry.key) && is_literal(&entry.value) {
                out.push(
                    Finding::new(ID, &file, entry.value_span.clone(), format!("{} is written into {rel}, which {} loads with env_file: everyone with the repository can sign tokens", entry.key, compose.rel))
                        .help("keep the value out of the repository (an ignored `.env`, the platform's secret store) and rotate it"),
                );
            }
        }
    }
}

/// The deploy and infrastructure files whose settings are read.
#[derive(Clone, Copy)]
enum DeployFile {
    Dockerfile,
    /// `compose.yaml` / `docker-compose.yml`: `services.*.environment`.
    Compose,
    /// A TOML `[env]` table: `fly.toml`, `.cargo/config.toml`, any other.
    TomlEnv,
    /// GitHub Actions workflows (`env:`), Kubernetes manifests (`Secret`, `ConfigMap`,
    /// container `env`) and Helm `values*.yaml`: every `KEY: value` and `name:`/`value:` pair.
    Yaml,
    /// Shell and PowerShell scripts: `export KEY=…`, `--from-literal=KEY=…`, `$env:KEY = …`.
    Script,
}

impl DeployFile {
    fn of(rel: &str) -> Option<DeployFile> {
        let name = crate::discover::file_name(rel);
        Some(match Lang::of(rel) {
            Lang::Dockerfile => DeployFile::Dockerfile,
            Lang::Yaml if name.contains("compose") => DeployFile::Compose,
            Lang::Yaml
                if rel.starts_with(".github/workflows/")
                    || name.starts_with("values")
                    || rel.split('/').any(|dir| {
                        matches!(
                            dir,
                            "k8s" | "kubernetes" | "helm" | "charts" | "manifests" | "deploy"
                        )
                    }) =>
            {
                DeployFile::Yaml
            }
            Lang::Toml => DeployFile::TomlEnv,
            Lang::Other
                if [".sh", ".bash", ".zsh", ".ps1"]
                    .iter()
                    .any(|ext| name.ends_with(ext)) =>
            {
                DeployFile::Script
            }
            _ => return None,
        })
    }
}

/// A value written out, not a reference to one: `${AUTH_SECRET}`, `$AUTH_SECRET`,
/// `${{ secrets.AUTH_SECRET }}` and Helm's `{{ .Values.secret }}` are references.
fn is_literal(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty() && !value.starts_with('$') && !value.contains("{{")
}

/// `(key, value, span of the value)` of env settings in a deploy file.
fn deploy_env(file: &SourceFile) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    match file.lang {
        Lang::Dockerfile => {
            for (i, line) in file.text.lines().enumerate() {
                let range = file.line_range(i + 1);
                let trimmed = line.trim_start();
                let Some(rest) = trimmed
                    .strip_prefix("ENV ")
                    .or_else(|| trimmed.strip_prefix("env "))
                else {
                    continue;
                };
                let rest_at = range.start + (line.len() - rest.len());
                let (key, value, value_at) = match rest.find('=') {
                    Some(eq) if !rest[..eq].contains(' ') => {
                        (&rest[..eq], rest[eq + 1..].trim(), rest_at + eq + 1)
                    }
                    _ => match rest.split_once(' ') {
                        Some((k, v)) => (k, v.trim(), rest_at + k.len() + 1),
                        None => continue,
                    },
                };
                let value = value.trim_matches('"');
                out.push((key.to_owned(), value.to_owned(), value_at..range.end));
            }
        }
        Lang::Toml => {
            let Ok(doc) = file.text.parse::<toml_edit::ImDocument<String>>() else {
                return out;
            };
            if let Some(env) = doc.get("env").and_then(|e| e.as_table()) {
                for (key, item) in env.iter() {
                    if let Some(value) = item.as_value() {
                        let span = value.span().unwrap_or(0..0);
                        out.push((
                            key.to_owned(),
                            value.as_str().unwrap_or_default().to_owned(),
                            span,
                        ));
                    }
                }
            }
        }
        Lang::Yaml => {
            let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) else {
                return out;
            };
            let Some(services) = doc.get("services").and_then(|s| s.as_mapping()) else {
                return out;
            };
            for service in services.values() {
                let pairs: Vec<(String, String)> = match service.get("environment") {
                    Some(serde_yaml::Value::Mapping(map)) => map
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), yaml_scalar(v))))
                        .collect(),
                    Some(serde_yaml::Value::Sequence(items)) => items
                        .iter()
                        .filter_map(|i| {
                            i.as_str()?
                                .split_once('=')
                                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                for (key, value) in pairs {
                    let span = yaml_key_span(file, &key);
                    out.push((key, value, span));
                }
            }
        }
        _ => {}
    }
    out
}

/// Every `KEY: value` (a secret-like key with a scalar) and `{name: KEY, value: …}` pair in
/// every document of a YAML file: a workflow's `env:` blocks, a Kubernetes Secret's
/// `stringData`/`data` (base64 is an encoding: the value is still the secret), a container's
/// `env` list, Helm values.
fn yaml_settings(file: &SourceFile) -> Vec<(String, String, std::ops::Range<usize>)> {
    fn walk(value: &serde_yaml::Value, found: &mut Vec<(String, String)>) {
        match value {
            serde_yaml::Value::Mapping(map) => {
                // Kubernetes `env: [{name, value}]`; Render's `envVars: [{key, value}]`.
                let field = |name: &str| map.get(name).and_then(|v| v.as_str());
                if let (Some(key), Some(value)) = (field("name").or(field("key")), map.get("value"))
                {
                    found.push((key.to_owned(), yaml_scalar(value)));
                }
                for (key, item) in map {
                    match (key.as_str(), item) {
                        (Some(key), serde_yaml::Value::String(_))
                        | (Some(key), serde_yaml::Value::Number(_))
                            if is_signing_secret_name(key) =>
                        {
                            found.push((key.to_owned(), yaml_scalar(item)));
                        }
                        _ => walk(item, found),
                    }
                }
            }
            serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| walk(i, found)),
            serde_yaml::Value::Tagged(tagged) => walk(&tagged.value, found),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&file.text) {
        if let Ok(value) = serde_yaml::Value::deserialize(document) {
            walk(&value, &mut found);
        }
    }
    found
        .into_iter()
        .map(|(key, value)| {
            let span = yaml_key_span(file, &key);
            (key, value, span)
        })
        .collect()
}

/// `export KEY=value`, `KEY=value`, `--from-literal=KEY=value` and PowerShell's
/// `$env:KEY = "value"`, one per line (comments skipped).
fn script_settings(file: &SourceFile) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for (i, line) in file.text.lines().enumerate() {
        let range = file.line_range(i + 1);
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let mut candidates: Vec<&str> = Vec::new();
        if let Some(rest) = trimmed.strip_prefix("$env:") {
            candidates.push(rest);
        } else {
            candidates.push(trimmed.strip_prefix("export ").unwrap_or(trimmed));
            candidates.extend(line.split("--from-literal=").skip(1));
        }
        for text in candidates {
            let Some((key, value)) = text.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let value = value.trim_start();
            let value = match value.chars().next() {
                Some(quote @ ('"' | '\'')) => value[1..].split(quote).next().unwrap_or_default(),
                _ => value.split_whitespace().next().unwrap_or_default(),
            };
            let at = range.start + line.find(text).unwrap_or(0) + text.find('=').unwrap_or(0) + 1;
            out.push((key.to_owned(), value.to_owned(), at..range.end));
        }
    }
    out
}

fn yaml_scalar(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// serde_yaml keeps no positions: the key's line is the first line whose first token is
/// `KEY:` or `- KEY=` (the document has been parsed, so this only locates it).
fn yaml_key_span(file: &SourceFile, key: &str) -> std::ops::Range<usize> {
    for i in 1..=file.text.lines().count() {
        let range = file.line_range(i);
        let line = &file.text[range.clone()];
        let trimmed = line
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches(['"', '\'']);
        if trimmed.starts_with(&format!("{key}:"))
            || trimmed.starts_with(&format!("{key}="))
            || trimmed.trim_end() == format!("name: {key}")
            || trimmed.trim_end() == format!("key: {key}")
        {
            let at = range.end - line.trim_start().len();
            return at..range.end;
        }
    }
    0..0
}

/// `betterAuth({ secret: "..." })`, `SECRET_KEY = "..."`, `const JWT_SECRET: &str = "..."`.
fn literals(ws: &Workspace, out: &mut Vec<Finding>) {
    for config in facts::better_auth_configs(ws) {
        let Some(object) = config.node() else {
            continue;
        };
        if let Some(pair) = property_pair(&config.file, object, "secret") {
            let value = pair.child_by_field_name("value");
            if let Some(value) =
                value.filter(|v| string_value(&config.file, *v).is_some_and(|s| !s.is_empty()))
            {
                out.push(
                    Finding::new(ID, &config.file, value.byte_range(), "Better Auth's secret is written into the source: everyone with the repository can forge sessions")
                        .help("remove `secret` (Better Auth reads BETTER_AUTH_SECRET) or use `process.env.BETTER_AUTH_SECRET`, and rotate the value"),
                );
            }
        }
    }
    for file in ws.sources_in(&[Lang::Python]) {
        for assign in nodes_of(&file, &["assignment"]) {
            let Some([left, right]) = fields(assign, ["left", "right"]) else {
                continue;
            };
            let name = file.node_text(left).to_ascii_uppercase();
            // Module level, or a class body (dataclass fields, class constants); a pydantic
            // `BaseSettings` field's default is a fallback ([`fallbacks`]).
            let container = assign.parent().and_then(|p| p.parent());
            let class = container
                .filter(|c| c.kind() == "block")
                .and_then(|b| b.parent())
                .filter(|c| c.kind() == "class_definition");
            let module_level = container.is_none_or(|c| c.kind() == "module");
            if left.kind() != "identifier"
                || !is_signing_secret_name(&name)
                || !(module_level || class.is_some())
                || class.is_some_and(|c| lang::python::is_settings_class(&file, c))
            {
                continue;
            }
            if string_value(&file, right).is_some_and(|s| !s.is_empty()) {
                out.push(
                    Finding::new(ID, &file, right.byte_range(), format!("{} is written into the source: everyone with the repository can sign tokens", file.node_text(left)))
                        .help(format!("read it from the environment (`os.environ[\"{name}\"]` or a settings field without a default) and rotate it")),
                );
            }
        }
    }
    for file in ws.sources_in(&[Lang::Rust]) {
        for item in nodes_of(&file, &["const_item", "static_item"]) {
            let Some([name, value]) = fields(item, ["name", "value"]) else {
                continue;
            };
            if is_signing_secret_name(file.node_text(name))
                && string_value(&file, value).is_some_and(|s| !s.is_empty())
            {
                out.push(
                    Finding::new(ID, &file, value.byte_range(), format!("{} is written into the source: everyone with the repository can sign tokens", file.node_text(name)))
                        .help(format!("read it with `std::env::var(\"{}\")` at start-up and rotate it", file.node_text(name))),
                );
            }
        }
    }
}

/// Env reads that fall back to a literal: whenever the variable is unset the server signs with
/// it. The fix removes the fallback (the read stays) and lists the variable in the env
/// template next to the code, when there is one.
fn fallbacks(ws: &Workspace, out: &mut Vec<Finding>) {
    for fallback in facts::env_fallbacks(ws) {
        let facts::EnvFallback {
            file,
            key,
            literal,
            removal,
            ..
        } = &fallback;
        let finding = Finding::new(ID, file, literal.clone(), format!("{key} falls back to this literal: the server runs on it whenever {key} is unset, production included, and everyone with the repository can sign tokens with it"))
            .help(format!("remove the fallback so a missing {key} stops the server at start, set {key} in the environment (`authgen secret` makes one) and rotate the literal's value"));
        let Some((range, replacement)) = removal else {
            out.push(finding);
            continue;
        };
        let mut edits = vec![Edit::replace(file, range.clone(), replacement.as_str())];
        let template = env_template(ws, &package_dir(ws, file))
            .or_else(|| env_template(ws, ""))
            .filter(|t| t.env_value(key).is_none());
        let description = match &template {
            Some(template) => {
                let sep = if template.text.is_empty() || template.text.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                edits.push(Edit::insert(
                    template,
                    template.text.len(),
                    format!("{sep}{key}=\n"),
                ));
                format!("remove the fallback and list {key} in {}", template.rel)
            }
            None => "remove the fallback".to_owned(),
        };
        out.push(finding.fix(Fix::safe(description, edits)));
    }
}

/// The env template (`.env.example`, `.env.sample`, ...) directly in `dir`.
fn env_template(ws: &Workspace, dir: &str) -> Option<std::rc::Rc<SourceFile>> {
    ws.env_files()
        .iter()
        .filter(|f| crate::discover::parent(f) == dir)
        .filter(|f| is_env_template(crate::discover::file_name(f)))
        .min_by_key(|f| !f.ends_with(".env.example"))
        .and_then(|f| ws.source(f))
}

/// The directory whose `.env` a program in `file` loads: the nearest package root.
fn package_dir(ws: &Workspace, file: &SourceFile) -> String {
    let mut dir = file.dir().to_owned();
    loop {
        if [
            "package.json",
            "pyproject.toml",
            "requirements.txt",
            "Cargo.toml",
        ]
        .iter()
        .any(|m| ws.has_file(&crate::discover::join_rel(&dir, m)))
        {
            return dir;
        }
        if dir.is_empty() {
            return dir;
        }
        dir = crate::discover::parent(&dir).to_owned();
    }
}

fn missing(ws: &Workspace, defined: &BTreeSet<String>, out: &mut Vec<Finding>) {
    let fallbacks = facts::env_fallbacks(ws);
    for facts::EnvRead { file, key, span } in facts::env_reads(ws) {
        if !is_signing_secret_name(&key) || defined.contains(&key) {
            continue;
        }
        // A read with a literal fallback is reported as that.
        if fallbacks
            .iter()
            .any(|f| f.file.rel == file.rel && f.read == span)
        {
            continue;
        }
        let env = crate::discover::join_rel(&package_dir(ws, &file), ".env");
        let outcome = unset_outcome(&file, &span);
        let finding = Finding::new(ID, &file, span, format!("{key} is read here, but no env file, env template or deploy file in the repository defines it: where the environment does not set it, {outcome}"))
            .severity(Severity::Warning)
            .help(format!("add it to {env} (`authgen doctor --fix` writes a fresh one) and list it, empty, in .env.example"));
        if !SECRET_KEYS.contains(&key.as_str()) {
            out.push(finding.help(DERIVED_HELP));
            continue;
        }
        // Several read sites of one key carry the same edit; the fixer applies it once.
        let fix = {
            let existing = ws.source(&env);
            let edit = match &existing {
                Some(f) => {
                    let sep = if f.text.is_empty() || f.text.ends_with('\n') {
                        ""
                    } else {
                        "\n"
                    };
                    Edit::insert(
                        f,
                        f.text.len(),
                        Content::fresh_secret(format!("{sep}{key}="), "\n"),
                    )
                }
                None => Edit::create(env.clone(), Content::fresh_secret(format!("{key}="), "\n")),
            };
            Fix::safe(format!("write a fresh {key} to {env}"), vec![edit])
        };
        out.push(finding.fix(fix));
    }
}

/// What the read at `span` does when the variable is unset, as its language has it.
fn unset_outcome(file: &SourceFile, span: &std::ops::Range<usize>) -> &'static str {
    let read = &file.text[span.clone()];
    let after = file.text[span.end..].trim_start();
    match file.lang {
        Lang::Rust if after.starts_with(".expect(") || after.starts_with(".unwrap()") => {
            "the code panics here"
        }
        Lang::Rust if after.starts_with('?') => "the function returns the error here",
        Lang::Rust => "this read is an `Err(NotPresent)`",
        Lang::Python if read.starts_with("os.environ[") || read.starts_with("environ[") => {
            "Python raises `KeyError` here"
        }
        Lang::Python => "this read is `None`",
        _ => "this read is `undefined`",
    }
}

#[cfg(test)]
mod tests {
    fn messages(files: &[(&str, &str)]) -> Vec<(String, String)> {
        let (_tmp, report) = crate::doctor::checks::testing::run(super::ID, files);
        report
            .findings()
            .map(|f| (f.file.clone(), f.message.clone()))
            .collect()
    }

    #[test]
    fn a_backend_key_not_derived_from_the_servers_secret_is_a_mismatch() {
        let secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let server = format!("AUTH_SECRET={secret}\n");
        let derived = format!(
            "AUTH_JWT_KEY={}\n",
            crate::secret::hs256_verifier_key(secret)
        );
        let wrong = format!(
            "AUTH_JWT_KEY={}\n",
            crate::secret::hs256_verifier_key("other")
        );
        let toml = "auth_dir = \"auth-server\"\nbackend_dir = \"api\"\n";
        let found = messages(&[
            ("authgen.toml", toml),
            ("auth-server/.env", &server),
            ("api/.env", &wrong),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "api/.env");
        assert!(found[0].1.starts_with("AUTH_JWT_KEY is not the key derived from the auth server's AUTH_SECRET (auth-server/.env)"), "{found:?}");
        let found = messages(&[
            ("authgen.toml", toml),
            ("auth-server/.env", &server),
            ("api/.env", &derived),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_take_over_without_better_auths_secret_or_database_is_reported() {
        let old = "BETTER_AUTH_SECRET=0123456789abcdef0123456789abcdef0123456789abcdef\nDATABASE_URL=postgres://app@db/app\n";
        let toml = "auth_dir = \"auth-server\"\ntake_over = \"better-auth\"\n";
        let found = messages(&[
            ("authgen.toml", toml),
            ("server/.env", old),
            (
                "auth-server/.env",
                "AUTH_SECRET=fedcba9876543210fedcba9876543210fedcba9876543210\nDATABASE_URL=postgres://app@db/app\n",
            ),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "auth-server/.env");
        assert!(
            found[0]
                .1
                .starts_with("none of AUTH_SECRET, AUTH_SECRET_PREVIOUS is the BETTER_AUTH_SECRET"),
            "{found:?}"
        );
        let found = messages(&[
            ("authgen.toml", toml),
            ("server/.env", old),
            (
                "auth-server/.env",
                "AUTH_SECRET=fedcba9876543210fedcba9876543210fedcba9876543210\nDATABASE_URL=postgres://app@db/other\n",
            ),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.starts_with("DATABASE_URL is not the database"),
            "{found:?}"
        );
        for carried in [
            "AUTH_SECRET=fedcba9876543210fedcba9876543210fedcba9876543210\nAUTH_SECRET_PREVIOUS=0123456789abcdef0123456789abcdef0123456789abcdef\n",
            "BETTER_AUTH_SECRET=0123456789abcdef0123456789abcdef0123456789abcdef\n",
        ] {
            let found = messages(&[
                ("authgen.toml", toml),
                ("server/.env", old),
                ("auth-server/.env", carried),
            ]);
            assert!(found.is_empty(), "{carried}: {found:?}");
        }
        // Without a take-over, the two servers' secrets are not each other's business.
        let found = messages(&[
            ("authgen.toml", "auth_dir = \"auth-server\"\n"),
            ("server/.env", old),
            (
                "auth-server/.env",
                "AUTH_SECRET=fedcba9876543210fedcba9876543210fedcba9876543210\n",
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn secrets_written_into_deploy_and_infrastructure_files() {
        let found = messages(&[
            (
                ".github/workflows/deploy.yml",
                "on: push\nenv:\n  AUTH_SECRET: ${{ secrets.AUTH_SECRET }}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n      JWT_SECRET: workflow-literal-0123456789abcdef0123\n    steps:\n      - run: cargo test\n",
            ),
            (
                "k8s/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: auth\nstringData:\n  BETTER_AUTH_SECRET: k8s-literal-0123456789abcdef0123456789\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: jwt\ndata:\n  JWT_SECRET_KEY: YmFzZTY0LWlzLW5vdC1lbmNyeXB0aW9uLTAxMjM0NTY3\n",
            ),
            (
                "k8s/deployment.yaml",
                "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: AUTH_SECRET\n              value: container-literal-0123456789abcdef012\n            - name: SECRET_KEY\n              valueFrom:\n                secretKeyRef: { name: auth, key: secret }\n",
            ),
            (
                "charts/auth/values.yaml",
                "auth:\n  NEXTAUTH_SECRET: helm-literal-0123456789abcdef0123456789\n  AUTH_SECRET: \"{{ .Values.global.secret }}\"\n",
            ),
            (
                "scripts/deploy.sh",
                "#!/bin/sh\n# export AUTH_SECRET=commented-out-0123456789abcdef\nexport JWT_SECRET=\"script-literal-0123456789abcdef0123\"\nkubectl create secret generic auth --from-literal=AUTH_SECRET=kubectl-literal-0123456789abcdef\nexport SECRET_KEY=$(openssl rand -hex 32)\n",
            ),
            (
                "scripts/deploy.ps1",
                "$env:BETTER_AUTH_SECRET = \"powershell-literal-0123456789abcdef\"\n",
            ),
            (
                "compose.yaml",
                "services:\n  api:\n    image: api\n    env_file:\n      - deploy/api.conf\n      - path: ./deploy/ignored.conf\n",
            ),
            (
                "deploy/api.conf",
                "PORT=8000\nAUTH_SECRET=env-file-literal-0123456789abcdef0\n",
            ),
            (
                ".cargo/config.toml",
                "[env]\nAUTH_SECRET = \"cargo-literal-0123456789abcdef0123456\"\n",
            ),
        ]);
        let written: Vec<(&str, &str)> = found
            .iter()
            .filter(|(_, m)| m.contains(" is written into "))
            .map(|(f, m)| (f.as_str(), m.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            written,
            [
                (".cargo/config.toml", "AUTH_SECRET"),
                (".github/workflows/deploy.yml", "JWT_SECRET"),
                ("charts/auth/values.yaml", "NEXTAUTH_SECRET"),
                ("deploy/api.conf", "AUTH_SECRET"),
                ("k8s/deployment.yaml", "AUTH_SECRET"),
                ("k8s/secret.yaml", "BETTER_AUTH_SECRET"),
                ("k8s/secret.yaml", "JWT_SECRET_KEY"),
                ("scripts/deploy.ps1", "BETTER_AUTH_SECRET"),
                ("scripts/deploy.sh", "JWT_SECRET"),
                ("scripts/deploy.sh", "AUTH_SECRET"),
            ],
            "{found:?}"
        );
    }

    #[test]
    fn two_fallback_fixes_appending_to_one_env_template_apply_in_one_run() {
        let files = [
            (
                "server/src/auth.ts",
                "export const a = process.env.BETTER_AUTH_SECRET || \"first-fallback-0123456789abcdef01\";\nexport const b = process.env.JWT_SECRET ?? \"second-fallback-0123456789abcdef0\";\n",
            ),
            ("server/package.json", "{\"name\": \"server\"}\n"),
            ("server/.env.example", "DATABASE_URL=\n"),
        ];
        let changes = crate::doctor::checks::testing::fixed(super::ID, &files, true);
        let template = changes
            .iter()
            .find(|(file, _)| file == "server/.env.example")
            .map(|(_, text)| text.as_str());
        assert_eq!(
            template,
            Some("DATABASE_URL=\nBETTER_AUTH_SECRET=\nJWT_SECRET=\n"),
            "{changes:?}"
        );
    }

    #[test]
    fn a_tracked_file_is_read_even_when_gitignore_matches_it() {
        let tmp = tempfile::tempdir().unwrap();
        let files = [
            (".gitignore", "config/\nlocal/\n"),
            (
                "config/settings.py",
                "JWT_SECRET = \"tracked-but-ignored-0123456789abcdef\"\n",
            ),
            (
                "local/settings.py",
                "JWT_SECRET = \"untracked-and-ignored-0123456789abcdef\"\n",
            ),
        ];
        for (rel, text) in files {
            let path = tmp.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        // Committed before the rule, or with `git add -f`: in the index despite .gitignore.
        let repo = git2::Repository::init(tmp.path()).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_path(std::path::Path::new("config/settings.py"))
            .unwrap();
        index.write().unwrap();
        let options = crate::doctor::Options {
            only: vec![super::ID.to_owned()],
        };
        let report = crate::doctor::run(tmp.path(), &options).unwrap();
        let files: Vec<&str> = report.findings().map(|f| f.file.as_str()).collect();
        assert_eq!(files, ["config/settings.py"]);
    }

    #[test]
    fn an_undefined_secret_is_described_as_its_read_behaves() {
        let found = messages(&[
            (
                "server/src/a.ts",
                "export const secret = process.env.JWT_SECRET;\n",
            ),
            (
                "api/app/config.py",
                "import os\n\nA = os.environ[\"JWT_SECRET\"]\nB = os.getenv(\"AUTH_SECRET\")\n",
            ),
            (
                "svc/src/main.rs",
                "fn main() {\n    let a = std::env::var(\"JWT_SECRET\").expect(\"JWT_SECRET\");\n    let b = std::env::var(\"AUTH_SECRET\");\n}\n",
            ),
        ]);
        let outcome = |file: &str, key: &str| -> Vec<&str> {
            found
                .iter()
                .filter(|(f, m)| f == file && m.starts_with(&format!("{key} is read here")))
                .filter_map(|(_, m)| m.split("does not set it, ").nth(1))
                .collect()
        };
        assert_eq!(
            outcome("server/src/a.ts", "JWT_SECRET"),
            ["this read is `undefined`"]
        );
        assert_eq!(
            outcome("api/app/config.py", "JWT_SECRET"),
            ["Python raises `KeyError` here"]
        );
        assert_eq!(
            outcome("api/app/config.py", "AUTH_SECRET"),
            ["this read is `None`"]
        );
        assert_eq!(
            outcome("svc/src/main.rs", "JWT_SECRET"),
            ["the code panics here"]
        );
        assert_eq!(
            outcome("svc/src/main.rs", "AUTH_SECRET"),
            ["this read is an `Err(NotPresent)`"]
        );
        assert!(
            found.iter().all(|(_, m)| !m.contains("starts without")),
            "{found:?}"
        );
    }

    #[test]
    fn fallback_literals_in_every_shape_and_not_empty_ones() {
        let found = messages(&[
            (
                "server/src/a.ts",
                "export const a = process.env.AUTH_SECRET ??\n  process.env.BETTER_AUTH_SECRET ??\n  \"nullish-fallback-0123456789\";\nconst { JWT_SECRET: jwt = \"renamed-default-0123456789\" } = process.env;\nexport const empty = process.env.JWT_SECRET_KEY || \"\";\nexport const url = process.env.AUTH_URL || \"http://localhost:3001\";\n",
            ),
            (
                "api/app/b.py",
                "import os\n\nA = os.environ.get(\"SECRET_KEY\", default=\"keyword-default-0123456789\")\nB = os.getenv(\"JWT_SECRET\", \"\")\n",
            ),
            (
                "api/src/c.rs",
                "fn f() {\n    let a = std::env::var(\"JWT_SECRET\").unwrap_or(\"to-string-default-0123\".to_string());\n    let b = std::env::var(\"AUTH_SECRET\").unwrap_or_default();\n}\n",
            ),
            (
                ".env.example",
                "AUTH_SECRET=\nBETTER_AUTH_SECRET=\nJWT_SECRET=\nJWT_SECRET_KEY=\nSECRET_KEY=\n",
            ),
        ]);
        let fallbacks: Vec<&(String, String)> = found
            .iter()
            .filter(|(_, m)| m.contains("falls back to this literal"))
            .collect();
        let keys: Vec<(&str, &str)> = fallbacks
            .iter()
            .map(|(f, m)| (f.as_str(), m.split(' ').next().unwrap()))
            .collect();
        assert_eq!(
            keys,
            [
                ("api/app/b.py", "SECRET_KEY"),
                ("api/src/c.rs", "JWT_SECRET"),
                ("server/src/a.ts", "AUTH_SECRET"),
                ("server/src/a.ts", "JWT_SECRET"),
            ],
            "{found:?}"
        );
    }
}
