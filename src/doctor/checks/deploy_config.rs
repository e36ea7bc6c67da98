//! `deploy-config`: hosting files that swallow or misroute `/api/auth/*`, or run the server on a
//! port, address or public URL the platform does not route to.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/deploy-config.md`.

use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::facts;
use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang;
use crate::doctor::lang::docker::DockerWord;
use crate::doctor::lang::js::property;
use crate::doctor::lang::string_value;
use crate::doctor::workspace::{Lang, SourceFile, Workspace};

use crate::doctor::lang::origin;

use super::Check;

pub struct DeployConfig;

const ID: &str = "deploy-config";

impl Check for DeployConfig {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let base = facts::answers(ws)
        .and_then(|(answers, _)| answers.base_path)
        .filter(|b| b.starts_with('/') && b.len() > 1)
        .unwrap_or_else(|| "/api/auth".to_owned());
    let base = base.trim_end_matches('/').to_owned();
    for rel in ws.named("vercel.json") {
        if let Some(file) = ws.source(rel) {
            vercel(&file, &base, out);
        }
    }
    for file in ws.sources_in(&[Lang::Dockerfile]) {
        dockerfile(&file, out);
    }
    for rel in ws.named("fly.toml") {
        if let Some(file) = ws.source(rel) {
            fly(ws, &file, out);
        }
    }
    for file in ws.sources_in(&[Lang::Yaml]) {
        if is_compose_file(file.name()) {
            compose(&file, out);
        }
    }
}

// ---- shared ----

const PUBLIC_URL_KEYS: &[&str] = &["BETTER_AUTH_URL", "AUTH_ISSUER"];
const HOST_KEYS: &[&str] = &[
    "HOST",
    "HOSTNAME",
    "BIND",
    "BIND_ADDR",
    "BIND_ADDRESS",
    "LISTEN_ADDR",
    "LISTEN_ADDRESS",
    "SERVER_HOST",
    "APP_HOST",
];

fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "::1") || host.ends_with(".localhost")
}

/// A bind address on loopback: `127.0.0.1`, `localhost`, `127.0.0.1:3000`, `[::1]:3000`.
fn is_loopback_bind(value: &str) -> bool {
    let host = match value.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !host.is_empty() => host,
        _ => value,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// A literal http(s) URL whose host is local (`${VAR}` interpolation is not a literal).
fn is_local_url(value: &str) -> bool {
    !value.contains('$')
        && url::Url::parse(value).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(is_local_host)
        })
}

fn public_url_finding(file: &SourceFile, span: Range<usize>, key: &str, value: &str) -> Finding {
    Finding::new(
        ID,
        file,
        span,
        format!(
            "production deploy sets {key} to {value}: callbacks, redirects and the tokens' `iss`/`aud` then name localhost, which no browser or verifier can reach"
        ),
    )
    .help(format!(
        "set {key} to the server's public https URL in the platform's environment"
    ))
}

fn loopback_finding(file: &SourceFile, span: Range<usize>, key: &str, value: &str) -> Finding {
    Finding::new(
        ID,
        file,
        span,
        format!(
            "{key}={value} makes the server listen on loopback inside the container: the platform's proxy cannot connect (`instance refused connection. is your app listening on 0.0.0.0?`, Railway `Application failed to respond`)"
        ),
    )
    .help(format!("set {key}=0.0.0.0 (or drop it) so the server listens on every interface"))
}

// ---- vercel.json ----

/// Whether a Vercel `source` pattern (path-to-regexp) matches `path`; `None` when the pattern
/// uses regex features this does not evaluate.
fn source_matches(pattern: &str, path: &str) -> Option<bool> {
    let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
    let pattern = pattern.strip_suffix('$').unwrap_or(pattern);
    let wanted: Vec<&str> = path.split('/').collect();
    let parts: Vec<&str> = pattern.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let param = part.strip_prefix(':');
        let rest_param = param.and_then(|p| {
            let (name, one) = if let Some(n) = p.strip_suffix("(.*)") {
                (n, false)
            } else if let Some(n) = p.strip_suffix("(.+)") {
                (n, true)
            } else if let Some(n) = p.strip_suffix('*') {
                (n, false)
            } else if let Some(n) = p.strip_suffix('+') {
                (n, true)
            } else {
                return None;
            };
            is_name(name).then_some(one)
        });
        let rest = match *part {
            "(.*)" | ".*" => Some(false),
            "(.+)" | ".+" => Some(true),
            _ => rest_param,
        };
        if let Some(needs_one) = rest {
            return Some(!needs_one || wanted.len() > i);
        }
        let Some(segment) = wanted.get(i) else {
            // `:name?` may be absent
            return Some(param.is_some_and(|p| p.ends_with('?')) && i + 1 == parts.len());
        };
        if let Some(param) = param {
            if !is_name(param.trim_end_matches('?')) {
                return None;
            }
            if segment.is_empty() {
                return Some(false);
            }
            continue;
        }
        if part.contains(['(', ')', '*', '?', '[', '{', '+', ':', '\\', '|', '^', '$']) {
            return None;
        }
        if part != segment {
            return Some(false);
        }
    }
    Some(parts.len() == wanted.len())
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The reference a destination needs to carry an auth source's captured sub-path:
/// `:path*` for `/api/auth/:path*`, `$1` for `/api/auth/(.*)`; `None` when the source
/// captures nothing after the base.
fn capture_reference(source: &str) -> Option<String> {
    let last = source.rsplit('/').next()?;
    if matches!(last, "(.*)" | "(.+)" | ".*") {
        return Some("$1".to_owned());
    }
    let name = last.strip_prefix(':')?;
    let (plain, suffix) = if let Some(n) = name.strip_suffix("(.*)") {
        (n, "")
    } else if let Some(n) = name.strip_suffix("(.+)") {
        (n, "")
    } else if let Some(n) = name.strip_suffix('*') {
        (n, "*")
    } else if let Some(n) = name.strip_suffix('+') {
        (n, "+")
    } else {
        return None; // a single segment `:action` is not "the rest of the path"
    };
    is_name(plain).then(|| format!(":{plain}{suffix}"))
}

struct Rule<'t> {
    node: Node<'t>,
    source: String,
    destination: Option<(String, Node<'t>)>,
    conditional: bool,
    continues: bool,
}

fn rules<'t>(file: &SourceFile, array: Node<'t>, legacy: bool) -> Vec<Rule<'t>> {
    let (src_key, dest_key) = if legacy {
        ("src", "dest")
    } else {
        ("source", "destination")
    };
    let mut cursor = array.walk();
    array
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .filter_map(|node| {
            if node.kind() != "object" {
                return None;
            }
            let source = property(file, node, src_key).and_then(|s| string_value(file, s))?;
            let destination = property(file, node, dest_key)
                .and_then(|d| string_value(file, d).map(|text| (text, d)));
            Some(Rule {
                node,
                source,
                destination,
                conditional: property(file, node, "has").is_some()
                    || property(file, node, "missing").is_some(),
                continues: property(file, node, "continue")
                    .and_then(lang::js::js_bool)
                    .unwrap_or(false),
            })
        })
        .collect()
}

fn is_auth_source(source: &str, base: &str) -> bool {
    let source = source.strip_prefix('^').unwrap_or(source);
    source == base
        || source
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with(['/', '(', ':']))
}

fn vercel(file: &Rc<SourceFile>, base: &str, out: &mut Vec<Finding>) {
    let Some(tree) = file.tree() else { return };
    let Some(root) = tree
        .root_node()
        .named_child(0)
        .filter(|n| n.kind() == "object")
    else {
        return;
    };
    for (key, legacy) in [("rewrites", false), ("routes", true)] {
        let Some(array) = property(file, root, key).filter(|a| a.kind() == "array") else {
            continue;
        };
        let elements: Vec<Node<'_>> = {
            let mut cursor = array.walk();
            array
                .named_children(&mut cursor)
                .filter(|n| n.kind() != "comment")
                .collect()
        };
        let rules = rules(file, array, legacy);
        let Some(auth_at) = rules.iter().position(|r| is_auth_source(&r.source, base)) else {
            continue;
        };
        let auth = &rules[auth_at];
        let probe = format!("{base}/get-session");
        let subpath_fix = subpath(file, auth, legacy);
        if let Some((_, edit, reference)) = &subpath_fix {
            let (destination, node) = auth.destination.as_ref().expect("checked by subpath");
            out.push(
                Finding::new(
                    ID,
                    file,
                    node.byte_range(),
                    format!(
                        "the rewrite of `{}` sends every auth request to `{destination}`, dropping the sub-path: `/get-session`, `/sign-in/email` and the rest all reach the same URL and Better Auth answers 404",
                        auth.source
                    ),
                )
                .help(format!("keep the sub-path: end the destination with `{reference}`"))
                .fix(Fix::unsafe_(
                    format!("append {reference} to the destination"),
                    vec![edit.clone()],
                )),
            );
        }
        let auth_origin = auth.destination.as_ref().and_then(|d| origin(&d.0));
        let shadow = rules[..auth_at].iter().find(|r| {
            let destination = r.destination.as_ref().map(|d| &d.0);
            !r.conditional
                && !r.continues
                && destination != auth.destination.as_ref().map(|d| &d.0)
                // a proxy of everything to the auth server itself is redundant, not wrong
                && (auth_origin.is_none() || destination.and_then(|d| origin(d)) != auth_origin)
                && source_matches(&r.source, &probe) == Some(true)
        });
        let Some(shadow) = shadow else { continue };
        let (Some(i), Some(j)) = (
            elements.iter().position(|e| e.id() == shadow.node.id()),
            elements.iter().position(|e| e.id() == auth.node.id()),
        ) else {
            continue;
        };
        // Move the auth rule in front of the shadowing one, keeping the separator layout.
        let auth_text = match &subpath_fix {
            Some((at, edit, _)) => {
                let text = file.node_text(auth.node);
                let local = edit.start - at;
                format!("{}{}{}", &text[..local], edit.text(), &text[local..])
            }
            None => file.node_text(auth.node).to_owned(),
        };
        let separator = &file.text[elements[i].end_byte()..elements[i + 1].start_byte()];
        let moved = &file.text[elements[i].start_byte()..elements[j - 1].end_byte()];
        let edit = Edit::replace(
            file,
            elements[i].start_byte()..elements[j].end_byte(),
            format!("{auth_text}{separator}{moved}"),
        );
        let shadow_to = shadow
            .destination
            .as_ref()
            .map(|d| format!(" (to `{}`)", d.0))
            .unwrap_or_default();
        out.push(
            Finding::new(
                ID,
                file,
                shadow.node.byte_range(),
                format!(
                    "`{}`{shadow_to} comes before the rule for `{}` and matches `{probe}` first: Vercel stops at the first match, so auth requests never reach the auth server (`Unexpected token '<'` when the SPA's index.html comes back)",
                    shadow.source, auth.source
                ),
            )
            .help(format!("put the `{}` rule before `{}`", auth.source, shadow.source))
            .fix(Fix::unsafe_(
                format!("move the {} rule first", auth.source),
                vec![edit],
            )),
        );
    }
}

/// For an auth rule whose wildcard source's external destination drops the captured rest:
/// (rule start, the edit appending the reference, the reference).
fn subpath(file: &SourceFile, auth: &Rule<'_>, legacy: bool) -> Option<(usize, Edit, String)> {
    let reference = capture_reference(&auth.source)?;
    let reference = if legacy && reference.starts_with(':') {
        return None; // legacy routes use regex groups only
    } else {
        reference
    };
    let (destination, node) = auth.destination.as_ref()?;
    if !(destination.starts_with("https://") || destination.starts_with("http://")) {
        return None; // functions in the project receive the original path
    }
    let name = reference
        .trim_start_matches(':')
        .trim_end_matches(['*', '+']);
    let referenced = if reference == "$1" {
        destination.contains("$1")
    } else {
        destination
            .match_indices(':')
            .any(|(i, _)| destination[i + 1..].starts_with(name))
    };
    if referenced {
        return None;
    }
    // Insert before the query string, inside the quotes.
    let raw = file.node_text(*node);
    let inner_end = raw.len() - 1;
    let at_local = raw[1..inner_end].find('?').map_or(inner_end, |q| q + 1);
    let slash = if raw[..at_local].ends_with('/') {
        ""
    } else {
        "/"
    };
    let at = node.start_byte() + at_local;
    Some((
        auth.node.start_byte(),
        Edit::insert(file, at, format!("{slash}{reference}")),
        reference,
    ))
}

// ---- Dockerfile ----

/// What the final stage of a Dockerfile sets: env pairs and exposed ports, with spans.
#[derive(Default, Clone)]
struct Stage {
    alias: Option<String>,
    env: Vec<(DockerWord, DockerWord)>,
    expose: Vec<DockerWord>,
    expose_span: Option<Range<usize>>,
    /// The last ENTRYPOINT and CMD, as words (exec-form brackets and commas removed).
    entrypoint: Vec<DockerWord>,
    cmd: Vec<DockerWord>,
}

/// Words of a CMD/ENTRYPOINT: the exec form's `[`, `]` and `,` dropped, and a `sh -c "..."`
/// script split into its words (each keeping the script's span).
fn command_words(instruction: &lang::docker::DockerInstruction) -> Vec<DockerWord> {
    let mut out = Vec::new();
    for word in instruction.words() {
        let start = word.text.trim_start_matches('[');
        let text = start.trim_end_matches([',', ']']);
        // `[` and `,`/`]` sit outside the quotes, one byte each.
        let span = word.span.start + (word.text.len() - start.len())
            ..word.span.end - (start.len() - text.len());
        for part in text.split_whitespace() {
            out.push(DockerWord {
                text: part.to_owned(),
                span: span.clone(),
            });
        }
    }
    out
}

/// What the command line says about where the server listens.
#[derive(Default)]
struct Listen {
    /// `--port 8000`, `-p 3000`, `--bind 0.0.0.0:8080`.
    port: Option<u16>,
    /// `$PORT` / `${PORT}` appears: the port comes from the environment.
    reads_port_env: bool,
    /// `--host 127.0.0.1`, `--bind localhost:8000`: the value and its word.
    loopback: Option<DockerWord>,
    /// A host is given on the command line (so `HOST`-like variables are not what binds).
    host_given: bool,
}

fn listen(stage: &Stage) -> Listen {
    let words: Vec<&DockerWord> = stage.entrypoint.iter().chain(&stage.cmd).collect();
    let mut listen = Listen::default();
    let mut i = 0;
    while i < words.len() {
        let text = words[i].text.as_str();
        if text.contains("$PORT") || text.contains("${PORT") {
            listen.reads_port_env = true;
        }
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with('-') => (flag, Some(value.to_owned())),
            _ => (text, None),
        };
        let takes_value = matches!(
            flag,
            "--port" | "-p" | "--bind" | "-b" | "--listen" | "--host" | "-H" | "--hostname"
        );
        if !takes_value {
            i += 1;
            continue;
        }
        let (value, word) = match inline {
            Some(value) => (value, words[i]),
            None => match words.get(i + 1) {
                Some(next) => {
                    i += 1;
                    (next.text.clone(), *next)
                }
                None => break,
            },
        };
        match flag {
            "--port" | "-p" => {
                if let Some(port) = literal_port(&value) {
                    listen.port = Some(port);
                }
            }
            _ => {
                let (host, port) = match value.rsplit_once(':') {
                    Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => {
                        (host.to_owned(), literal_port(port))
                    }
                    _ => (value.clone(), None),
                };
                if port.is_some() {
                    listen.port = port;
                }
                listen.host_given |= !host.is_empty();
                if is_loopback_bind(&host) {
                    listen.loopback = Some(DockerWord {
                        text: value.clone(),
                        span: word.span.clone(),
                    });
                }
            }
        }
        i += 1;
    }
    listen
}

fn final_stage(text: &str) -> Option<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in lang::docker::dockerfile_instructions(text) {
        match instruction.keyword.as_str() {
            "FROM" => {
                let words = instruction.words();
                let words: Vec<&DockerWord> =
                    words.iter().filter(|w| !w.text.starts_with("--")).collect();
                let image = words.first().map(|w| w.text.clone()).unwrap_or_default();
                let alias = match words.as_slice() {
                    [_, as_, alias, ..] if as_.text.eq_ignore_ascii_case("as") => {
                        Some(alias.text.clone())
                    }
                    _ => None,
                };
                let mut stage = stages
                    .iter()
                    .rev()
                    .find(|s| s.alias.as_deref() == Some(image.as_str()))
                    .cloned()
                    .unwrap_or_default();
                stage.alias = alias;
                stages.push(stage);
            }
            "ENV" => {
                if let Some(stage) = stages.last_mut() {
                    stage.env.extend(instruction.pairs());
                }
            }
            "CMD" => {
                if let Some(stage) = stages.last_mut() {
                    stage.cmd = command_words(&instruction);
                }
            }
            "ENTRYPOINT" => {
                if let Some(stage) = stages.last_mut() {
                    stage.entrypoint = command_words(&instruction);
                    stage.cmd.clear(); // ENTRYPOINT resets an inherited CMD
                }
            }
            "EXPOSE" => {
                if let Some(stage) = stages.last_mut() {
                    let words = instruction.words();
                    if let (Some(first), Some(last)) = (words.first(), words.last()) {
                        stage.expose_span = Some(first.span.start..last.span.end);
                    }
                    stage.expose = words;
                }
            }
            _ => {}
        }
    }
    stages.pop()
}

fn env_value<'s>(stage: &'s Stage, key: &str) -> Option<&'s DockerWord> {
    stage
        .env
        .iter()
        .rev()
        .find(|(k, _)| k.text == key)
        .map(|(_, v)| v)
}

fn literal_port(text: &str) -> Option<u16> {
    text.trim().parse().ok()
}

/// Exposed ports as ranges; `None` when one is not a literal (`$PORT`).
fn exposed_ports(stage: &Stage) -> Option<Vec<(u16, u16)>> {
    stage
        .expose
        .iter()
        .map(|w| {
            let port = w.text.split('/').next()?;
            match port.split_once('-') {
                Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                None => port.parse().ok().map(|p| (p, p)),
            }
        })
        .collect()
}

fn dockerfile(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let Some(stage) = final_stage(&file.text) else {
        return;
    };
    let command = listen(&stage);
    // The port the server listens on: an explicit command-line port wins over ENV PORT.
    let listening = match command.port {
        Some(port) => Some((port, format!("the command listens on port {port}"))),
        None => env_value(&stage, "PORT")
            .and_then(|v| literal_port(&v.text))
            .map(|port| (port, format!("the image sets PORT={port}"))),
    };
    if let (Some((port, origin)), Some(exposed), Some(span)) =
        (listening, exposed_ports(&stage), stage.expose_span.clone())
    {
        if !exposed.is_empty() && !exposed.iter().any(|(a, b)| (*a..=*b).contains(&port)) {
            let listed: Vec<&str> = stage.expose.iter().map(|w| w.text.as_str()).collect();
            out.push(
                Finding::new(
                    ID,
                    file,
                    span,
                    format!(
                        "{origin}, but EXPOSE says {}: the server listens on {port} while platforms and tools that read EXPOSE send traffic to {}",
                        listed.join(" "),
                        listed.join(" ")
                    ),
                )
                .help(format!("expose the port the server listens on: `EXPOSE {port}`")),
            );
        }
    }
    if let Some(word) = command.loopback {
        out.push(
            Finding::new(
                ID,
                file,
                word.span.clone(),
                format!(
                    "the command binds {}: the server listens on loopback inside the container and the platform's proxy cannot connect (`instance refused connection. is your app listening on 0.0.0.0?`)",
                    word.text
                ),
            )
            .help("bind 0.0.0.0 (`--host 0.0.0.0`) so the server listens on every interface"),
        );
    }
    for (key, value) in &stage.env {
        if HOST_KEYS.contains(&key.text.as_str())
            && is_loopback_bind(&value.text)
            && !command.host_given
        {
            out.push(loopback_finding(
                file,
                value.span.clone(),
                &key.text,
                &value.text,
            ));
        }
    }
}

// ---- fly.toml ----

fn toml_string_or_int(item: &toml_edit::Item) -> Option<String> {
    item.as_str()
        .map(str::to_owned)
        .or_else(|| item.as_integer().map(|i| i.to_string()))
}

fn fly(ws: &Workspace, file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let Ok(doc) = toml_edit::ImDocument::parse(file.text.as_str()) else {
        return;
    };
    let root = doc.as_item();
    let env = root.get("env").and_then(|e| e.as_table_like());
    let docker = docker_stage(ws, file, root);
    let host_given = docker
        .as_ref()
        .is_some_and(|(_, stage)| listen(stage).host_given);
    // [env] HOST and public URLs
    if let Some(env) = env {
        for (key, item) in env.iter() {
            let (Some(value), Some(span)) = (item.as_str(), item.as_value().and_then(|v| v.span()))
            else {
                continue;
            };
            if HOST_KEYS.contains(&key) && is_loopback_bind(value) && !host_given {
                out.push(loopback_finding(file, span.clone(), key, value));
            }
            if PUBLIC_URL_KEYS.contains(&key) && is_local_url(value) {
                out.push(public_url_finding(file, span, key, value));
            }
        }
    }
    // The port the server listens on, and where that comes from.
    let fly_port = env
        .and_then(|e| e.get("PORT"))
        .and_then(toml_string_or_int)
        .and_then(|p| literal_port(&p))
        .map(|p| (p, "[env] PORT".to_owned()));
    // A port written on the command line ignores PORT; otherwise fly's env wins over the image.
    let command_port = docker
        .as_ref()
        .and_then(|(rel, stage)| listen(stage).port.map(|p| (p, format!("{rel} CMD"))));
    let port = command_port.or(fly_port).or_else(|| {
        let (dockerfile, stage) = docker.as_ref()?;
        if let Some(port) = env_value(stage, "PORT").and_then(|v| literal_port(&v.text)) {
            return Some((port, format!("{dockerfile} ENV PORT")));
        }
        if listen(stage).reads_port_env {
            return None;
        }
        match exposed_ports(stage)?.as_slice() {
            [(a, b)] if a == b => Some((*a, format!("{dockerfile} EXPOSE"))),
            _ => None,
        }
    });
    let Some((port, origin)) = port else { return };
    let mut internal = Vec::new();
    if let Some(value) = root
        .get("http_service")
        .and_then(|s| s.get("internal_port"))
    {
        internal.push(value);
    }
    if let Some(services) = root.get("services").and_then(|s| s.as_array_of_tables()) {
        internal.extend(services.iter().filter_map(|s| s.get("internal_port")));
    }
    for item in internal {
        let (Some(value), Some(span)) = (item.as_integer(), item.as_value().and_then(|v| v.span()))
        else {
            continue;
        };
        if value != i64::from(port) {
            out.push(
                Finding::new(
                    ID,
                    file,
                    span,
                    format!(
                        "Fly routes to internal_port {value} but the server listens on {port} ({origin}): requests fail with `instance refused connection. is your app listening on 0.0.0.0:{value}?`"
                    ),
                )
                .help(format!("set internal_port = {port}, or make the server listen on {value}")),
            );
        }
    }
}

/// `dir` joined with a relative `path` (`./`, `../` resolved); `None` above the root.
fn resolve_rel(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The Dockerfile a fly.toml builds (`[build] dockerfile`, else `Dockerfile` beside it; none
/// for `[build] image`/builders) and its final stage.
fn docker_stage(
    ws: &Workspace,
    file: &SourceFile,
    root: &toml_edit::Item,
) -> Option<(String, Stage)> {
    let build = root.get("build");
    let rel = match build
        .and_then(|b| b.get("dockerfile"))
        .and_then(|d| d.as_str())
    {
        Some(path) => resolve_rel(file.dir(), path)?,
        None if build.is_some_and(|b| {
            b.get("image").is_some() || b.get("builder").is_some() || b.get("buildpacks").is_some()
        }) =>
        {
            return None;
        }
        None => crate::discover::join_rel(file.dir(), "Dockerfile"),
    };
    let docker = ws.source(&rel)?;
    let stage = final_stage(&docker.text)?;
    Some((rel, stage))
}

// ---- compose ----

fn is_compose_file(name: &str) -> bool {
    (name.starts_with("compose") || name.starts_with("docker-compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

fn yaml_scalar(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A service's `environment:` as (key, value) pairs, map or `KEY=value` list form.
fn compose_env(service: &serde_yaml::Value) -> Vec<(String, String)> {
    match service.get("environment") {
        Some(serde_yaml::Value::Mapping(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((yaml_scalar(k)?, yaml_scalar(v)?)))
            .collect(),
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(|item| {
                let (k, v) = item.as_str()?.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `production`, or the default of `${APP_ENV:-production}`.
fn says_production(value: &str) -> bool {
    let value = match value.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
        Some(inner) => match inner.split_once(":-").or_else(|| inner.split_once('-')) {
            Some((_, default)) => default,
            None => return false,
        },
        None => value,
    };
    matches!(value, "production" | "prod")
}

fn compose(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) else {
        return;
    };
    let Some(services) = doc.get("services").and_then(|s| s.as_mapping()) else {
        return;
    };
    let named_production = file
        .name()
        .split(['.', '-', '_'])
        .any(|part| matches!(part, "prod" | "production"));
    for (name, service) in services {
        let Some(name) = name.as_str() else { continue };
        let env = compose_env(service);
        let production = named_production
            || env.iter().any(|(k, v)| {
                matches!(k.as_str(), "NODE_ENV" | "APP_ENV" | "ENVIRONMENT" | "ENV")
                    && says_production(v)
            });
        if !production {
            continue;
        }
        for (key, value) in &env {
            if !PUBLIC_URL_KEYS.contains(&key.as_str()) || !is_local_url(value) {
                continue;
            }
            let Some(span) =
                lang::yaml::yaml_value_span(&file.text, &["services", name, "environment", key])
            else {
                continue;
            };
            out.push(public_url_finding(file, span, key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{capture_reference, source_matches};

    #[test]
    fn vercel_sources() {
        let probe = "/api/auth/get-session";
        assert_eq!(source_matches("/(.*)", probe), Some(true));
        assert_eq!(source_matches("/:path*", probe), Some(true));
        assert_eq!(source_matches("/api/:path*", probe), Some(true));
        assert_eq!(source_matches("/api/auth/:path*", probe), Some(true));
        assert_eq!(source_matches("/api/:slug", probe), Some(false));
        assert_eq!(source_matches("/app/(.*)", probe), Some(false));
        assert_eq!(source_matches("/", probe), Some(false));
        assert_eq!(source_matches("/((?!api/).*)", probe), None);
        assert_eq!(
            capture_reference("/api/auth/:path*").as_deref(),
            Some(":path*")
        );
        assert_eq!(capture_reference("/api/auth/(.*)").as_deref(), Some("$1"));
        assert_eq!(
            capture_reference("/api/auth/:rest(.*)").as_deref(),
            Some(":rest")
        );
        assert_eq!(capture_reference("/api/auth"), None);
    }

    fn fixed(files: &[(&str, &str)]) -> Vec<(String, String)> {
        crate::doctor::checks::testing::fixed(super::ID, files, true)
    }

    #[test]
    fn moves_the_auth_rule_first_and_keeps_the_sub_path() {
        let vercel = r#"{
  "rewrites": [
    { "source": "/(.*)", "destination": "/index.html" },
    { "source": "/assets/(.*)", "destination": "/static/$1" },
    { "source": "/api/auth/:path*", "destination": "https://auth.example.com/api/auth" }
  ]
}
"#;
        let expected = r#"{
  "rewrites": [
    { "source": "/api/auth/:path*", "destination": "https://auth.example.com/api/auth/:path*" },
    { "source": "/(.*)", "destination": "/index.html" },
    { "source": "/assets/(.*)", "destination": "/static/$1" }
  ]
}
"#;
        assert_eq!(
            fixed(&[("web/vercel.json", vercel)]),
            [("web/vercel.json".to_owned(), expected.to_owned())]
        );
    }

    #[test]
    fn appends_the_capture_before_a_query() {
        let vercel = "{\"rewrites\":[{\"source\":\"/api/auth/(.*)\",\"destination\":\"https://auth.example.com/api/auth/?from=web\"}]}\n";
        assert_eq!(
            fixed(&[("vercel.json", vercel)]),
            [(
                "vercel.json".to_owned(),
                "{\"rewrites\":[{\"source\":\"/api/auth/(.*)\",\"destination\":\"https://auth.example.com/api/auth/$1?from=web\"}]}\n".to_owned()
            )]
        );
    }
}
