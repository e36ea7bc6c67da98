//! `cors-credentials`: CORS that allows any origin together with credentials, or a generated
//! auth server whose `CORS_ORIGINS` misses the frontend origin.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/cors-credentials.md`.

use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::facts;
use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang::fields;
use crate::doctor::lang::js::{js_bool, property};
use crate::doctor::lang::python::{py_bool, py_keyword, py_keyword_arg, py_positional};
use crate::doctor::lang::rust::{is_chain_top, rust_chain};
use crate::doctor::lang::{arguments, callee_name, nodes_of, string_value};
use crate::doctor::workspace::{EnvEntry, Lang, SourceFile, Workspace};

use super::Check;

pub struct CorsCredentials;

const ID: &str = "cors-credentials";

const REFLECT: &str = "reflects any origin with credentials allowed: every website the user visits can send authenticated requests and read the responses";

impl Check for CorsCredentials {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let answers = facts::answers(ws).map(|(answers, _)| answers);
    let origins: Vec<String> = answers
        .as_ref()
        .and_then(|a| a.cors_origins.clone())
        .unwrap_or_default()
        .iter()
        .map(|o| normalize(o).to_owned())
        .filter(|o| !o.is_empty() && o != "*")
        .collect();
    for file in ws.sources_in(&[Lang::Python]) {
        if file.text.contains("CORSMiddleware") {
            starlette(&file, &origins, out);
        }
    }
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        if file.text.contains("cors") {
            js_cors(&file, &origins, out);
        }
    }
    for file in ws.sources_in(&[Lang::Rust]) {
        if file.text.contains("CorsLayer") {
            tower(&file, &origins, out);
        }
    }
    if let Some(auth_dir) = answers.as_ref().and_then(|a| a.auth_dir.clone()) {
        if !origins.is_empty() {
            server_env(ws, auth_dir.trim_matches('/'), &origins, out);
        }
    }
}

/// An origin as the generated server compares it: trimmed, without trailing slash.
fn normalize(origin: &str) -> &str {
    origin.trim().trim_end_matches('/')
}

fn quoted(origins: &[String], quote: char) -> String {
    origins
        .iter()
        .map(|o| format!("{quote}{o}{quote}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The quote character of a string literal (`r"..."` and `'...'` included).
fn quote_of(literal: &str) -> char {
    literal
        .chars()
        .find(|c| matches!(c, '"' | '\''))
        .unwrap_or('"')
}

fn no_origins_help(what: &str) -> String {
    format!(
        "list the frontend origins explicitly ({what}); with `cors_origins` in authgen.toml, `authgen doctor --fix` writes them"
    )
}

// ---- FastAPI / Starlette ------------------------------------------------------------------

/// A regex that matches any origin.
fn matches_everything(regex: &str) -> bool {
    let core = regex.trim_start_matches('^').trim_end_matches('$');
    matches!(
        core,
        ".*" | ".+"
            | "(.*)"
            | "(.+)"
            | "https?://.*"
            | "https?://.+"
            | "http.*"
            | "https?:\\/\\/.*"
    )
}

/// The list literal a name is bound to at module level (last assignment wins).
fn module_list<'t>(file: &'t SourceFile, name: &str) -> Option<Node<'t>> {
    let tree = file.tree()?;
    let root = tree.root_node();
    let mut cursor = root.walk();
    let mut found = None;
    for stmt in root.named_children(&mut cursor) {
        let Some(assign) = stmt.named_child(0).filter(|a| a.kind() == "assignment") else {
            continue;
        };
        let Some([left, right]) = fields(assign, ["left", "right"]) else {
            continue;
        };
        if file.node_text(left) == name {
            found = Some(right);
        }
    }
    found.filter(|n| matches!(n.kind(), "list" | "tuple"))
}

/// The edit replacing a `"*"` element of a list literal with the configured origins that the
/// list does not have yet (deleting it when it has them all).
fn replace_star_element(
    file: &SourceFile,
    list: Node<'_>,
    star: Node<'_>,
    origins: &[String],
) -> Option<Edit> {
    let present: Vec<String> = named(list)
        .iter()
        .filter_map(|e| string_value(file, *e))
        .map(|s| normalize(&s).to_owned())
        .collect();
    let missing: Vec<String> = origins
        .iter()
        .filter(|o| !present.contains(o))
        .cloned()
        .collect();
    let quote = quote_of(file.node_text(star));
    if !missing.is_empty() {
        return Some(Edit::replace(
            file,
            star.byte_range(),
            quoted(&missing, quote),
        ));
    }
    // Delete the element with the comma after it (or before it, when it is last).
    let elements = named(list);
    let index = elements.iter().position(|e| e.id() == star.id())?;
    let range = match (elements.get(index + 1), index.checked_sub(1)) {
        (Some(next), _) => star.start_byte()..next.start_byte(),
        (None, Some(prev)) => elements[prev].end_byte()..star.end_byte(),
        (None, None) => return None,
    };
    Some(Edit::delete(file, range))
}

fn named(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

fn starlette(file: &Rc<SourceFile>, origins: &[String], out: &mut Vec<Finding>) {
    for call in nodes_of(file, &["call"]) {
        if !matches!(callee_name(file, call), "add_middleware" | "Middleware") {
            continue;
        }
        let is_cors = py_positional(call)
            .first()
            .is_some_and(|m| file.node_text(*m).rsplit('.').next() == Some("CORSMiddleware"));
        if !is_cors {
            continue;
        }
        let credentials = py_keyword(file, call, "allow_credentials")
            .and_then(|v| py_bool(file, v))
            .unwrap_or(false);
        if !credentials {
            continue;
        }
        if let Some(value) = py_keyword(file, call, "allow_origins") {
            let list = match value.kind() {
                "identifier" => module_list(file, file.node_text(value)),
                "list" | "tuple" => Some(value),
                _ => None,
            };
            if let Some(list) = list {
                for element in named(list) {
                    if string_value(file, element).as_deref() != Some("*") {
                        continue;
                    }
                    let fix = (!origins.is_empty())
                        .then(|| replace_star_element(file, list, element, origins))
                        .flatten()
                        .map(|edit| {
                            Fix::safe(
                                "allow the origins from authgen.toml instead of `*`",
                                vec![edit],
                            )
                        });
                    out.push(
                        Finding::new(
                            ID,
                            file,
                            element.byte_range(),
                            format!("CORSMiddleware allows origin `*` with `allow_credentials=True`: Starlette then {REFLECT}"),
                        )
                        .help(no_origins_help("`allow_origins=[\"https://app.example.com\"]`"))
                        .maybe_fix(fix),
                    );
                }
            } else if string_value(file, value).as_deref() == Some("*") {
                let quote = quote_of(file.node_text(value));
                let fix = (!origins.is_empty()).then(|| {
                    Fix::safe(
                        "allow the origins from authgen.toml instead of `*`",
                        vec![Edit::replace(
                            file,
                            value.byte_range(),
                            format!("[{}]", quoted(origins, quote)),
                        )],
                    )
                });
                out.push(
                    Finding::new(
                        ID,
                        file,
                        value.byte_range(),
                        format!("CORSMiddleware allows origin `*` with `allow_credentials=True`: Starlette then {REFLECT}"),
                    )
                    .help(no_origins_help("`allow_origins=[\"https://app.example.com\"]`"))
                    .maybe_fix(fix),
                );
            }
        }
        if let Some(arg) = py_keyword_arg(file, call, "allow_origin_regex") {
            let Some(value) = arg.child_by_field_name("value") else {
                continue;
            };
            if !string_value(file, value).is_some_and(|r| matches_everything(&r)) {
                continue;
            }
            let quote = quote_of(file.node_text(value));
            let fix = (!origins.is_empty() && py_keyword(file, call, "allow_origins").is_none())
                .then(|| {
                    Fix::safe(
                        "allow the origins from authgen.toml instead of any origin",
                        vec![Edit::replace(
                            file,
                            arg.byte_range(),
                            format!("allow_origins=[{}]", quoted(origins, quote)),
                        )],
                    )
                });
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    format!(
                        "`allow_origin_regex={}` matches every origin and `allow_credentials=True` is set: Starlette {REFLECT}",
                        file.node_text(value)
                    ),
                )
                .help(no_origins_help("`allow_origins=[\"https://app.example.com\"]`"))
                .maybe_fix(fix),
            );
        }
    }
}

// ---- Express cors / Hono cors ------------------------------------------------------------

/// The quote most string literals of a JS/TS file use.
fn js_quote(file: &SourceFile) -> char {
    let (mut single, mut double) = (0, 0);
    for s in nodes_of(file, &["string"]) {
        match file.node_text(s).chars().next() {
            Some('\'') => single += 1,
            Some('"') => double += 1,
            _ => {}
        }
    }
    if single > double { '\'' } else { '"' }
}

/// The single expression a function evaluates: the arrow body, or a block with one
/// `return x;` / `x;` statement.
fn only_expression(function: Node<'_>) -> Option<Node<'_>> {
    let body = function.child_by_field_name("body")?;
    if body.kind() != "statement_block" {
        return Some(body);
    }
    let statements = named(body);
    let [only] = statements.as_slice() else {
        return None;
    };
    match only.kind() {
        "return_statement" | "expression_statement" => only.named_child(0),
        _ => None,
    }
}

fn param_names<'f>(file: &'f SourceFile, function: Node<'_>) -> Vec<&'f str> {
    if let Some(single) = function.child_by_field_name("parameter") {
        return vec![file.node_text(single)];
    }
    let Some(params) = function.child_by_field_name("parameters") else {
        return Vec::new();
    };
    named(params)
        .into_iter()
        .map(|p| {
            let name = p.child_by_field_name("pattern").unwrap_or(p);
            file.node_text(name)
        })
        .collect()
}

/// `(origin, cb) => cb(null, true)` / `cb(null, origin)` (Express), `(origin) => origin`
/// (Hono): a callback that accepts every origin.
fn accepts_every_origin(file: &SourceFile, function: Node<'_>) -> bool {
    if !matches!(
        function.kind(),
        "arrow_function" | "function_expression" | "function"
    ) {
        return false;
    }
    let params = param_names(file, function);
    let Some(expr) = only_expression(function) else {
        return false;
    };
    let expr = if expr.kind() == "parenthesized_expression" {
        expr.named_child(0).unwrap_or(expr)
    } else {
        expr
    };
    if params.first().is_some_and(|p| file.node_text(expr) == *p) {
        return true;
    }
    if expr.kind() != "call_expression" || params.len() < 2 {
        return false;
    }
    let callee = expr
        .child_by_field_name("function")
        .map(|f| file.node_text(f))
        .unwrap_or_default();
    let args = arguments(expr);
    callee == params[1]
        && args.len() == 2
        && args[0].kind() == "null"
        && (args[1].kind() == "true" || file.node_text(args[1]) == params[0])
}

fn js_cors(file: &Rc<SourceFile>, origins: &[String], out: &mut Vec<Finding>) {
    let bindings = file.js_bindings();
    let locals: Vec<&str> = bindings
        .iter()
        .filter(|b| {
            (b.module == "cors" && (b.imported == "default" || b.imported == "*"))
                || (b.module == "hono/cors" && b.imported == "cors")
        })
        .map(|b| b.local.as_str())
        .collect();
    if locals.is_empty() {
        return;
    }
    for call in nodes_of(file, &["call_expression"]) {
        let Some(function) = call.child_by_field_name("function") else {
            continue;
        };
        if function.kind() != "identifier" || !locals.contains(&file.node_text(function)) {
            continue;
        }
        let Some(options) = arguments(call).into_iter().find(|a| a.kind() == "object") else {
            continue;
        };
        let credentials = property(file, options, "credentials").and_then(js_bool);
        if credentials != Some(true) {
            continue;
        }
        let Some(origin) = property(file, options, "origin") else {
            continue;
        };
        let star = string_value(file, origin).as_deref() == Some("*");
        let reflect = origin.kind() == "true"
            || origin.kind() == "regex"
                && origin
                    .child_by_field_name("pattern")
                    .is_some_and(|p| matches_everything(file.node_text(p)))
            || accepts_every_origin(file, origin);
        if !(star || reflect) {
            continue;
        }
        let message = if star {
            "`cors({ origin: \"*\", credentials: true })`: browsers refuse `Access-Control-Allow-Origin: *` on requests with cookies (`must not be the wildcard '*' when the request's credentials mode is 'include'`), so every credentialed call is blocked by CORS policy".to_owned()
        } else {
            format!(
                "`origin: {}` with `credentials: true` {REFLECT}",
                first_line(file.node_text(origin))
            )
        };
        let quote = match file.node_text(origin).chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => js_quote(file),
        };
        let fix = (!origins.is_empty()).then(|| {
            Fix::safe(
                "allow the origins from authgen.toml",
                vec![Edit::replace(
                    file,
                    origin.byte_range(),
                    format!("[{}]", quoted(origins, quote)),
                )],
            )
        });
        out.push(
            Finding::new(ID, file, origin.byte_range(), message)
                .help(no_origins_help("`origin: [\"https://app.example.com\"]`"))
                .maybe_fix(fix),
        );
    }
}

fn first_line(text: &str) -> String {
    match text.split_once('\n') {
        Some((first, _)) => format!("{} ...", first.trim_end()),
        None => text.to_owned(),
    }
}

// ---- tower-http ----------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Unset,
    Any,
    Mirror,
    Listed,
}

fn compact(file: &SourceFile, node: Node<'_>) -> String {
    file.node_text(node)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn rust_origin(text: &str) -> Origin {
    let last = text.rsplit("::").next().unwrap_or(text);
    if text.starts_with("\"*\"")
        || text.ends_with("from_static(\"*\")")
        || text.ends_with("AllowOrigin::any()")
        || last == "Any"
        || text == "any()"
        || text.ends_with("cors::any()")
    {
        Origin::Any
    } else if text.ends_with("mirror_request()") {
        Origin::Mirror
    } else {
        Origin::Listed
    }
}

fn tower(file: &Rc<SourceFile>, origins: &[String], out: &mut Vec<Finding>) {
    let header_value = if nodes_of(file, &["use_declaration"])
        .iter()
        .any(|n| file.node_text(*n).contains("HeaderValue"))
    {
        Some("HeaderValue")
    } else if file.text.contains("use axum") {
        Some("axum::http::HeaderValue")
    } else {
        None
    };
    let list = |header_value: &str| {
        format!(
            "[{}]",
            origins
                .iter()
                .map(|o| format!("{header_value}::from_static(\"{o}\")"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    for top in nodes_of(file, &["call_expression"]) {
        if !is_chain_top(top) {
            continue;
        }
        let (root, links) = rust_chain(file, top);
        let root_text = compact(file, root);
        let (mut origin, mut credentials) = if root_text.ends_with("CorsLayer::very_permissive()") {
            (Origin::Mirror, true)
        } else if root_text.ends_with("CorsLayer::permissive()") {
            (Origin::Any, false)
        } else if root_text.ends_with("CorsLayer::new()")
            || root_text.ends_with("CorsLayer::default()")
        {
            (Origin::Unset, false)
        } else {
            continue;
        };
        let mut origin_node = root;
        for link in &links {
            let Some(arg) = arguments(link.call).first().copied() else {
                continue;
            };
            match link.method.as_str() {
                "allow_origin" => {
                    origin = rust_origin(&compact(file, arg));
                    origin_node = arg;
                }
                "allow_credentials" => {
                    let text = compact(file, arg);
                    credentials = text == "true" || text.ends_with("AllowCredentials::yes()");
                }
                _ => {}
            }
        }
        if !credentials || !matches!(origin, Origin::Any | Origin::Mirror) {
            continue;
        }
        let from_root = origin_node.id() == root.id();
        let message = match (origin, from_root) {
            (Origin::Any, true) => "`CorsLayer::permissive()` with `allow_credentials(true)`: tower-http panics at start with ``Invalid CORS configuration: Cannot combine `Access-Control-Allow-Credentials: true` with `Access-Control-Allow-Origin: *` ``".to_owned(),
            (Origin::Any, false) => "`allow_origin(Any)` with `allow_credentials(true)`: tower-http panics at start with ``Invalid CORS configuration: Cannot combine `Access-Control-Allow-Credentials: true` with `Access-Control-Allow-Origin: *` ``".to_owned(),
            (_, true) => format!("`CorsLayer::very_permissive()` {REFLECT}"),
            _ => format!("`AllowOrigin::mirror_request()` with `allow_credentials(true)` {REFLECT}"),
        };
        // permissive() also allows any header and method, which credentials forbid too: no fix.
        let fix = header_value
            .filter(|_| {
                let permissive = from_root && origin == Origin::Any;
                !origins.is_empty() && !permissive
            })
            .map(|hv| {
                let edit = if from_root {
                    Edit::insert(
                        file,
                        root.end_byte(),
                        format!(".allow_origin({})", list(hv)),
                    )
                } else {
                    Edit::replace(file, origin_node.byte_range(), list(hv))
                };
                Fix::safe("allow the origins from authgen.toml", vec![edit])
            });
        out.push(
            Finding::new(ID, file, origin_node.byte_range(), message)
                .help(no_origins_help(
                    "`.allow_origin([HeaderValue::from_static(\"https://app.example.com\")])`",
                ))
                .maybe_fix(fix),
        );
    }
}

// ---- the generated auth server's CORS_ORIGINS ------------------------------------------------

/// scheme, host (lowercase, without `www.`), port, and whether anything follows the host.
fn origin_parts(origin: &str) -> Option<(String, String, Option<String>, bool)> {
    let (scheme, rest) = origin.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], !rest[i..].trim_matches('/').is_empty()),
        None => (rest, false),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => {
            (h, Some(p.to_owned()))
        }
        _ => (authority, None),
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    Some((scheme.to_ascii_lowercase(), host, port, path))
}

fn is_local(origin: &str) -> bool {
    origin_parts(origin).is_some_and(|(_, host, _, _)| {
        matches!(
            host.as_str(),
            "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0"
        )
    })
}

/// How `listed` differs from `wanted` when it is the same site written differently.
fn near_miss(wanted: &str, listed: &str) -> Option<&'static str> {
    let (ws, wh, wp, _) = origin_parts(wanted)?;
    let (ls, lh, lp, lpath) = origin_parts(listed)?;
    if wh != lh {
        return None;
    }
    let default_port = |scheme: &str| if scheme == "https" { "443" } else { "80" }.to_owned();
    let effective =
        |port: &Option<String>, scheme: &str| port.clone().unwrap_or_else(|| default_port(scheme));
    Some(if lpath {
        "a path follows the host; an origin is scheme, host and port only"
    } else if ws != ls {
        "another scheme"
    } else if effective(&wp, &ws) != effective(&lp, &ls) {
        "another port"
    } else if wanted.contains("://www.") != listed.to_ascii_lowercase().contains("://www.") {
        "`www.` differs"
    } else if wp != lp {
        "the default port is written out; browsers leave it out of the Origin header"
    } else {
        "letter case differs"
    })
}

/// Development (`true`), production/staging (`false`) or neither (`None`, e.g. `.env.test`).
fn env_kind(name: &str) -> Option<bool> {
    let lower = name.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split(['.', '-', '_']).collect();
    let has = |words: &[&str]| parts.iter().any(|p| words.contains(p));
    if has(&["production", "prod", "staging", "stage", "preview"]) {
        Some(false)
    } else if has(&["test", "testing", "ci", "e2e"]) {
        None
    } else {
        Some(true)
    }
}

/// Entries of a comma-separated env value: (text as written, trimmed; byte range in the file).
fn env_list(file: &SourceFile, entry: &EnvEntry) -> Vec<(String, std::ops::Range<usize>)> {
    let written = &file.text[entry.value_span.clone()];
    let quoted = written.starts_with(['"', '\'']);
    let content_start = entry.value_span.start + usize::from(quoted);
    let content = &file.text[content_start..content_start + entry.value.len()];
    let mut out = Vec::new();
    let mut offset = 0;
    for part in content.split(',') {
        let lead = part.len() - part.trim_start().len();
        let trimmed = part.trim();
        let start = content_start + offset + lead;
        if !trimmed.is_empty() {
            out.push((trimmed.to_owned(), start..start + trimmed.len()));
        }
        offset += part.len() + 1;
    }
    out
}

fn server_env(ws: &Workspace, auth_dir: &str, origins: &[String], out: &mut Vec<Finding>) {
    // With Better Auth's face, CORS_ORIGINS are its trustedOrigins as well.
    let face = facts::manifest(ws)
        .and_then(|m| m.server)
        .is_some_and(|s| s.session_cookie.is_some());
    let also = if face {
        "; Better Auth's face trusts no other origins either, so the `better-auth` client's `callbackURL` there gets 403 `INVALID_CALLBACK_URL`"
    } else {
        ""
    };
    for rel in ws.env_files() {
        if crate::discover::parent(&rel) != auth_dir {
            continue;
        }
        let Some(file) = ws.source(&rel) else {
            continue;
        };
        // Test environments run their own frontends.
        let Some(development) = env_kind(file.name()) else {
            continue;
        };
        let Some(entry) = file.env_value("CORS_ORIGINS") else {
            continue;
        };
        if entry.value.trim().is_empty() {
            continue;
        }
        let listed = env_list(&file, entry);
        let written = &file.text[entry.value_span.clone()];
        let quoted_value = written.starts_with(['"', '\'']);
        let content_end = entry.value_span.end - usize::from(quoted_value);
        if let Some((_, range)) = listed.iter().find(|(o, _)| o == "*") {
            out.push(
                Finding::new(
                    ID,
                    &file,
                    range.clone(),
                    "CORS_ORIGINS=* with credentials: the auth server refuses to start (`CORS_ORIGINS must list origins`)",
                )
                .help("list the frontend origins, comma-separated")
                .fix(Fix::safe(
                    "list the origins from authgen.toml",
                    vec![Edit::replace(
                        &file,
                        entry.value_span.start + usize::from(quoted_value)..content_end,
                        origins.join(","),
                    )],
                )),
            );
            continue;
        }
        let normalized: Vec<&str> = listed.iter().map(|(o, _)| normalize(o)).collect();
        let mut missing = Vec::new();
        for wanted in origins {
            if normalized.contains(&wanted.as_str()) {
                continue;
            }
            let close = listed
                .iter()
                .zip(&normalized)
                .find_map(|((_, range), n)| near_miss(wanted, n).map(|how| (range, n, how)));
            if let Some((range, listed_origin, how)) = close {
                out.push(
                    Finding::new(
                        ID,
                        &file,
                        range.clone(),
                        format!(
                            "CORS_ORIGINS lists `{listed_origin}`, but the frontend origin in authgen.toml is `{wanted}` ({how}): origins must match exactly, so the browser reports `blocked by CORS policy` and cookie POSTs get 403 `INVALID_ORIGIN`{also}"
                        ),
                    )
                    .help(format!("write `{wanted}`"))
                    .fix(Fix::safe(
                        format!("write {wanted}"),
                        vec![Edit::replace(&file, range.clone(), wanted.clone())],
                    )),
                );
                continue;
            }
            if development == is_local(wanted) {
                missing.push(wanted.clone());
            }
        }
        if !missing.is_empty() {
            let shown = missing
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                Finding::new(
                    ID,
                    &file,
                    entry.value_span.clone(),
                    format!(
                        "CORS_ORIGINS does not list {shown} from authgen.toml `cors_origins`: requests from that frontend are blocked by CORS policy and cookie POSTs get 403 `INVALID_ORIGIN`{also}"
                    ),
                )
                .help("add the frontend origin to CORS_ORIGINS (comma-separated)")
                .fix(Fix::safe(
                    "add the origins from authgen.toml",
                    vec![Edit::insert(
                        &file,
                        content_end,
                        format!(",{}", missing.join(",")),
                    )],
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generated server whose CORS_ORIGINS leave out the frontend of authgen.toml, with or
    /// without Better Auth's face in its manifest.
    fn missing_origin(session_cookie: bool) -> Vec<String> {
        crate::doctor::checks::testing::generated_server(
            ID,
            session_cookie,
            &[
                (
                    "authgen.toml",
                    "auth_dir = \"auth-server\"\ncors_origins = [\"http://localhost:3000\"]\n",
                ),
                ("auth-server/.env", "CORS_ORIGINS=http://localhost:5173\n"),
            ],
        )
    }

    #[test]
    fn with_the_better_auth_face_a_missing_origin_also_refuses_its_callback_urls() {
        let token_only = missing_origin(false);
        assert_eq!(token_only.len(), 1, "{token_only:?}");
        assert!(
            token_only[0].ends_with("403 `INVALID_ORIGIN`"),
            "{token_only:?}"
        );
        let face = missing_origin(true);
        assert_eq!(face.len(), 1, "{face:?}");
        assert!(
            face[0].ends_with("gets 403 `INVALID_CALLBACK_URL`"),
            "{face:?}"
        );
    }

    fn run(rel: &str, text: &str, origins: &[&str]) -> (Vec<Finding>, String) {
        let file = Rc::new(SourceFile::new(rel, text.to_owned()));
        let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
        let mut out = Vec::new();
        match file.lang {
            Lang::Python => starlette(&file, &origins, &mut out),
            Lang::Rust => tower(&file, &origins, &mut out),
            _ => js_cors(&file, &origins, &mut out),
        }
        let mut fixed = text.to_owned();
        let mut edits: Vec<Edit> = out
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .flat_map(|f| f.edits.clone())
            .collect();
        edits.sort_by_key(|e| (e.start, e.end));
        for edit in edits.iter().rev() {
            fixed.replace_range(edit.start..edit.end, &edit.text());
        }
        (out, fixed)
    }

    #[test]
    fn starlette_star_with_credentials() {
        let text = "from fastapi.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, allow_origins=['*', 'http://localhost:3000'], allow_credentials=True)\n";
        let (found, fixed) = run("main.py", text, &["http://localhost:3000"]);
        assert_eq!(found.len(), 1);
        assert!(
            fixed.contains("allow_origins=['http://localhost:3000']"),
            "{fixed}"
        );
        let (_, fixed) = run("main.py", text, &["https://app.example.com"]);
        assert!(
            fixed.contains("allow_origins=['https://app.example.com', 'http://localhost:3000']"),
            "{fixed}"
        );
        let (found, fixed) = run("main.py", text, &[]);
        assert!(found[0].fix.is_none());
        assert_eq!(fixed, text);
    }

    #[test]
    fn starlette_without_credentials_or_named_list() {
        let off = "app.add_middleware(CORSMiddleware, allow_origins=[\"*\"])\n";
        assert!(run("main.py", off, &["http://a.test"]).0.is_empty());
        let named = "ORIGINS = [\"*\"]\napp.add_middleware(CORSMiddleware, allow_origins=ORIGINS, allow_credentials=True)\n";
        let (found, fixed) = run("main.py", named, &["http://a.test"]);
        assert_eq!(found.len(), 1);
        assert!(fixed.starts_with("ORIGINS = [\"http://a.test\"]"));
        let regex = "app.add_middleware(CORSMiddleware, allow_origin_regex=r\"^.*$\", allow_credentials=True)\n";
        let (found, fixed) = run("main.py", regex, &["http://a.test"]);
        assert_eq!(found.len(), 1);
        assert!(
            fixed.contains("allow_origins=[\"http://a.test\"], allow_credentials"),
            "{fixed}"
        );
    }

    #[test]
    fn express_and_hono() {
        let text = "import cors from 'cors';\napp.use(cors({ origin: true, credentials: true }));\napp.use(cors({ origin: (origin, cb) => cb(null, true), credentials: true }));\napp.use(cors({ origin: 'http://localhost:3000', credentials: true }));\napp.use(cors({ origin: '*' }));\n";
        let (found, fixed) = run("server.ts", text, &["http://localhost:3000"]);
        assert_eq!(found.len(), 2);
        assert_eq!(
            fixed
                .matches("origin: ['http://localhost:3000'], credentials")
                .count(),
            2,
            "{fixed}"
        );
        let hono = "import { cors } from \"hono/cors\";\napp.use(\"*\", cors({ origin: (origin) => origin, credentials: true }));\n";
        assert_eq!(run("index.ts", hono, &[]).0.len(), 1);
        let callback = "const cors = require(\"cors\");\napp.use(cors({ origin(origin, cb) { if (allowed.has(origin)) cb(null, true); else cb(new Error(\"no\")); }, credentials: true }));\n";
        assert!(run("index.js", callback, &[]).0.is_empty());
    }

    #[test]
    fn tower_http_layers() {
        let text = "use axum::http::HeaderValue;\nuse tower_http::cors::{Any, AllowOrigin, CorsLayer};\nfn a() { let c = CorsLayer::new().allow_origin(Any).allow_credentials(true); }\nfn b() { let c = CorsLayer::very_permissive(); }\nfn c() { let c = CorsLayer::new().allow_origin(AllowOrigin::mirror_request()).allow_credentials(false); }\nfn d() { let c = CorsLayer::permissive(); }\nfn e() { let c = CorsLayer::very_permissive().allow_origin([HeaderValue::from_static(\"http://a.test\")]); }\n";
        let (found, fixed) = run("lib.rs", text, &["http://a.test"]);
        assert_eq!(found.len(), 2);
        assert!(fixed.contains("CorsLayer::new().allow_origin([HeaderValue::from_static(\"http://a.test\")]).allow_credentials(true)"));
        assert!(fixed.contains("fn b() { let c = CorsLayer::very_permissive().allow_origin([HeaderValue::from_static(\"http://a.test\")]); }"));
    }

    #[test]
    fn near_misses() {
        assert_eq!(
            near_miss("https://app.example.com", "http://app.example.com"),
            Some("another scheme")
        );
        assert_eq!(
            near_miss("http://localhost:3000", "http://localhost:3001"),
            Some("another port")
        );
        assert_eq!(
            near_miss("https://app.example.com", "https://www.app.example.com"),
            Some("`www.` differs")
        );
        assert_eq!(
            near_miss("https://example.com", "https://example.com:443"),
            Some("the default port is written out; browsers leave it out of the Origin header")
        );
        assert_eq!(
            near_miss("https://example.com", "https://Example.com"),
            Some("letter case differs")
        );
        assert_eq!(
            near_miss("http://localhost:3000", "http://example.com"),
            None
        );
        assert!(is_local("http://127.0.0.1:5173"));
    }
}
