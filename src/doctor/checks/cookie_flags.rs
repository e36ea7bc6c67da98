//! `cookie-flags`: auth cookies with flags browsers reject, or that never arrive.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/cookie-flags.md`.

use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::edits::{insert_item_after, remove_item};
use crate::doctor::facts::{self, CookieSyntax, CookieWrite, FlagValue};
use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang::js::{property, property_pair};
use crate::doctor::lang::rust::in_rust_test;
use crate::doctor::lang::{arguments, callee, descendants, is_test_path, string_value};
use crate::doctor::workspace::{EnvEntry, Lang, SourceFile, Workspace};

use crate::doctor::lang::rust::{Link, rust_chain};

use super::Check;

pub struct CookieFlags;

const ID: &str = "cookie-flags";

const DROPPED: &str = "browsers reject a SameSite=None cookie without Secure (\"rejected because it has the SameSite=None attribute but is missing the secure attribute\"): sign-in succeeds, the cookie is dropped, and the next request is anonymous";

impl Check for CookieFlags {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    for config in facts::better_auth_configs(ws) {
        if is_test_path(&config.file.rel) {
            continue;
        }
        if let Some(object) = config.node() {
            better_auth(&config.file, object, out);
        }
    }
    for write in facts::cookie_writes(ws) {
        if !is_test_path(&write.file.rel) {
            cookie_write(&write, out);
        }
    }
    for file in ws.sources_in(&[Lang::Rust]) {
        if !is_test_path(&file.rel)
            && (file.text.contains("same_site")
                || file.text.contains("http_only")
                || file.text.contains("secure"))
        {
            rust(&file, out);
        }
    }
    generated_server(ws, out);
}

/// Whether a cookie name (or the constant or expression naming it) looks like an auth cookie:
/// session, token, auth, jwt, ... Never CSRF cookies: double-submit needs scripts to read them.
fn auth_looking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.contains("csrf") || lower.contains("xsrf") {
        return false;
    }
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            words.push(std::mem::take(&mut word));
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    words.push(word);
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "sid" | "jwt" | "refresh" | "access" | "login" | "remember" | "credential"
        ) || w.starts_with("session")
            || w.starts_with("token")
            || w.starts_with("auth")
            || w.ends_with("token")
            || w.ends_with("session")
            || w == "sessionid"
    })
}

// ----------------------------------------------------------------------------------------
// Better Auth

/// A boolean-ish option as written.
#[derive(Clone, Copy)]
enum Flag<'t> {
    Absent,
    /// A literal `true` / `false`: the value node.
    Literal(bool, Node<'t>),
    /// Anything else (`isProd`, `process.env.X === "production"`): an environment switch.
    Dynamic,
}

fn js_flag<'t>(file: &SourceFile, object: Node<'t>, key: &str) -> Flag<'t> {
    match property(file, object, key) {
        None => Flag::Absent,
        Some(value) => match value.kind() {
            "true" => Flag::Literal(true, value),
            "false" => Flag::Literal(false, value),
            _ => Flag::Dynamic,
        },
    }
}

fn is_none_literal(file: &SourceFile, node: Node<'_>) -> bool {
    string_value(file, node).is_some_and(|v| v.eq_ignore_ascii_case("none"))
}

fn object_value<'t>(file: &SourceFile, object: Node<'t>, key: &str) -> Option<Node<'t>> {
    property(file, object, key).filter(|v| v.kind() == "object")
}

fn better_auth(file: &Rc<SourceFile>, config: Node<'_>, out: &mut Vec<Finding>) {
    let Some(advanced) = object_value(file, config, "advanced") else {
        return;
    };
    let use_secure = js_flag(file, advanced, "useSecureCookies");
    let defaults = object_value(file, advanced, "defaultCookieAttributes");
    // (attributes object, is it the defaults)
    let mut objects: Vec<(Node<'_>, bool)> = defaults.map(|d| (d, true)).into_iter().collect();
    if let Some(cookies) = object_value(file, advanced, "cookies") {
        let mut cursor = cookies.walk();
        for pair in cookies.named_children(&mut cursor) {
            if pair.kind() != "pair" {
                continue;
            }
            if let Some(attributes) = pair
                .child_by_field_name("value")
                .filter(|v| v.kind() == "object")
                .and_then(|v| object_value(file, v, "attributes"))
            {
                objects.push((attributes, false));
            }
        }
    }
    for (attributes, is_default) in objects {
        let inherited = |key: &str| {
            (!is_default)
                .then_some(defaults)
                .flatten()
                .and_then(|d| property(file, d, key))
        };
        let own_same_site = property(file, attributes, "sameSite");
        let same_site_none = own_same_site
            .or_else(|| inherited("sameSite"))
            .is_some_and(|v| is_none_literal(file, v));
        let own_secure = js_flag(file, attributes, "secure");
        let effective_secure = match own_secure {
            Flag::Absent => match (!is_default).then_some(defaults).flatten() {
                Some(d) if !matches!(js_flag(file, d, "secure"), Flag::Absent) => {
                    js_flag(file, d, "secure")
                }
                _ => use_secure,
            },
            flag => flag,
        };
        match (same_site_none, own_secure) {
            (true, Flag::Literal(false, value)) => out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    format!("auth cookies are set with `sameSite: \"none\"` and `secure: false`: {DROPPED}"),
                )
                .help("set `secure: true` (browsers treat http://localhost as secure, so development keeps working)")
                .fix(Fix::safe(
                    "set secure: true",
                    vec![Edit::replace(file, value.byte_range(), "true")],
                )),
            ),
            (true, Flag::Absent) => {
                let Some(same_site) = own_same_site else {
                    // Inherited from the defaults: reported there.
                    continue;
                };
                if matches!(effective_secure, Flag::Literal(true, _) | Flag::Dynamic) {
                    continue;
                }
                let Some(pair) = property_pair(file, attributes, "sameSite") else {
                    continue;
                };
                let why = if matches!(use_secure, Flag::Literal(false, _)) {
                    "`useSecureCookies: false` keeps Better Auth from adding Secure"
                } else {
                    "Better Auth adds Secure only when the base URL is https or NODE_ENV=production, so on http (local development) the cookie has none"
                };
                out.push(
                    Finding::new(
                        ID,
                        file,
                        same_site.byte_range(),
                        format!("auth cookies are set with `sameSite: \"none\"` but not `secure: true` ({why}): {DROPPED}"),
                    )
                    .help("add `secure: true` next to `sameSite: \"none\"`")
                    .fix(Fix::safe(
                        "add secure: true",
                        insert_item_after(file, pair, "secure: true"),
                    )),
                );
            }
            (false, Flag::Literal(false, value)) => {
                if let Some(pair) = property_pair(file, attributes, "secure") {
                    out.push(
                        Finding::new(
                            ID,
                            file,
                            value.byte_range(),
                            "`secure: false` is set unconditionally on Better Auth's cookies: in production the session token can travel over plain http",
                        )
                        .help(if matches!(use_secure, Flag::Literal(false, _)) {
                            "set `secure: true`, or tie it to the environment"
                        } else {
                            "remove `secure: false` (Better Auth adds Secure on https) or tie it to the environment"
                        })
                        .fix(if matches!(use_secure, Flag::Literal(false, _)) {
                            // Without it `useSecureCookies: false` would still turn Secure off.
                            Fix::unsafe_(
                                "set secure: true (plain-http development outside localhost then loses the cookie)",
                                vec![Edit::replace(file, value.byte_range(), "true")],
                            )
                        } else {
                            Fix::unsafe_(
                                "remove secure: false so Better Auth's default (Secure on https) applies",
                                vec![remove_item(file, pair)],
                            )
                        }),
                    );
                }
            }
            _ => {}
        }
        if let Flag::Literal(false, value) = js_flag(file, attributes, "httpOnly") {
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    "`httpOnly: false` on Better Auth's cookies lets any injected script read the session token",
                )
                .help("set `httpOnly: true`; frontend code reading the cookie should call `getSession()` instead")
                .fix(Fix::unsafe_(
                    "set httpOnly: true",
                    vec![Edit::replace(file, value.byte_range(), "true")],
                )),
            );
        }
    }
    // `useSecureCookies: false` with a `secure` attribute of its own only drops the
    // `__Secure-` name prefix (behind a TLS-terminating proxy, or for `__Host-` names).
    let defaults_set_secure = defaults.is_some_and(|d| property(file, d, "secure").is_some());
    if let (Flag::Literal(false, value), false) = (use_secure, defaults_set_secure) {
        if let Some(pair) = property_pair(file, advanced, "useSecureCookies") {
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    "`useSecureCookies: false` is set unconditionally: Better Auth never marks its cookies Secure, even in production on https",
                )
                .help("remove `useSecureCookies: false` (Better Auth turns Secure on for https base URLs) or tie it to the environment")
                .fix(Fix::unsafe_(
                    "remove useSecureCookies: false so Better Auth's default applies (cookie names gain the __Secure- prefix on https: users sign in again)",
                    vec![remove_item(file, pair)],
                )),
            );
        }
    }
}

// ----------------------------------------------------------------------------------------
// Cookie calls in JS/TS and Python (facts::cookie_writes): one judge, messages and fixes in
// the call's own syntax.

/// How `syntax` writes things, for messages and fixes.
struct Spelling<'a> {
    syntax: &'a CookieSyntax,
}

impl Spelling<'_> {
    fn js(&self) -> bool {
        *self.syntax == CookieSyntax::Js
    }

    /// `secure: true` / `secure=True`.
    fn flag(&self, js_key: &str, value: bool) -> String {
        if self.js() {
            format!("{js_key}: {value}")
        } else {
            let key = js_key.to_ascii_lowercase();
            format!("{key}={}", if value { "True" } else { "False" })
        }
    }

    fn literal(&self, value: bool) -> &'static str {
        match (self.js(), value) {
            (true, true) => "true",
            (true, false) => "false",
            (false, true) => "True",
            (false, false) => "False",
        }
    }

    fn none_without_secure(&self) -> String {
        match self.syntax {
            CookieSyntax::Js => {
                "the cookie is set with `sameSite: \"none\"` but no `secure: true`".to_owned()
            }
            CookieSyntax::Python(f) => {
                format!("`{f}(..., samesite=\"none\")` without `secure=True`")
            }
        }
    }

    fn none_with_secure_false(&self) -> String {
        match self.syntax {
            CookieSyntax::Js => {
                "the cookie is set with `sameSite: \"none\"` and `secure: false`".to_owned()
            }
            CookieSyntax::Python(f) => format!("`{f}(..., samesite=\"none\", secure=False)`"),
        }
    }
}

/// The node spanning exactly `range` (the outermost, for an item of a list).
fn node_at(file: &SourceFile, range: std::ops::Range<usize>) -> Option<Node<'_>> {
    let mut node = file
        .tree()?
        .root_node()
        .descendant_for_byte_range(range.start, range.end)?;
    while let Some(parent) = node.parent().filter(|p| p.byte_range() == range) {
        node = parent;
    }
    (node.byte_range() == range).then_some(node)
}

fn cookie_write(write: &CookieWrite, out: &mut Vec<Finding>) {
    let file = &write.file;
    let say = Spelling {
        syntax: &write.syntax,
    };
    let set = |value: &std::ops::Range<usize>| {
        vec![Edit::replace(file, value.clone(), say.literal(true))]
    };
    let auth = !write.removal && write.name.as_deref().is_some_and(auth_looking);
    let consequence = if write.removal {
        "browsers reject the deleting Set-Cookie of a SameSite=None cookie without Secure, so the cookie is never removed and sign-out leaves the user signed in"
    } else {
        DROPPED
    };
    match (&write.same_site_none, &write.secure) {
        (Some((value, item)), FlagValue::Absent) => {
            let Some(item) = node_at(file, item.clone()) else {
                return;
            };
            let secure = say.flag("secure", true);
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.clone(),
                    format!("{}: {consequence}", say.none_without_secure()),
                )
                .help(if say.js() {
                    "add `secure: true` next to `sameSite: \"none\"`".to_owned()
                } else {
                    format!("add `{secure}`")
                })
                .fix(Fix::safe(
                    format!("add {secure}"),
                    insert_item_after(file, item, &secure),
                )),
            );
        }
        (Some(_), FlagValue::Literal(false, value)) => {
            let secure = say.flag("secure", true);
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.clone(),
                    format!("{}: {consequence}", say.none_with_secure_false()),
                )
                .help(format!("set `{secure}`"))
                .fix(Fix::safe(format!("set {secure}"), set(value))),
            );
        }
        (None, FlagValue::Literal(false, value)) if auth => {
            let secure = say.flag("secure", true);
            let help = if say.js() {
                "set `secure: true`, or tie it to the environment (`process.env.NODE_ENV === \"production\"`)"
                    .to_owned()
            } else {
                "set `secure=True` (or tie it to a production setting)".to_owned()
            };
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.clone(),
                    format!(
                        "`{}` is set unconditionally on an auth cookie: in production the token can travel over plain http",
                        say.flag("secure", false)
                    ),
                )
                .help(help)
                .fix(Fix::unsafe_(
                    format!(
                        "set {secure} (plain-http development outside localhost then loses the cookie)"
                    ),
                    set(value),
                )),
            );
        }
        _ => {}
    }
    if let (true, FlagValue::Literal(false, value)) = (auth, &write.http_only) {
        let http_only = say.flag("httpOnly", true);
        out.push(
            Finding::new(
                ID,
                file,
                value.clone(),
                format!(
                    "`{}` on an auth cookie lets any injected script read the token",
                    say.flag("httpOnly", false)
                ),
            )
            .help(format!(
                "set `{http_only}`; frontend code that reads the cookie should ask the {} instead",
                if say.js() { "server" } else { "API" }
            ))
            .fix(Fix::unsafe_(
                format!("set {http_only} (frontend code reading document.cookie stops seeing it)"),
                set(value),
            )),
        );
    }
}

// ----------------------------------------------------------------------------------------
// Rust: cookie builder chains

fn rust_bool(file: &SourceFile, node: Node<'_>) -> Option<bool> {
    (node.kind() == "boolean_literal").then(|| file.node_text(node) == "true")
}

/// Whether a chain's value is bound by `let x = ...;` and `x.secure(..)` / `x.set_secure(..)`
/// follows in the same block: the flag is set later, perhaps conditionally.
fn secured_later(file: &SourceFile, outer: Node<'_>) -> bool {
    let Some(binding) = outer.parent().filter(|p| p.kind() == "let_declaration") else {
        return false;
    };
    let Some(name) = binding
        .child_by_field_name("pattern")
        .filter(|p| p.kind() == "identifier")
        .map(|p| file.node_text(p))
    else {
        return false;
    };
    let Some(block) = binding.parent() else {
        return false;
    };
    descendants(block).into_iter().any(|n| {
        n.kind() == "field_expression"
            && n.start_byte() >= binding.end_byte()
            && n.child_by_field_name("value")
                .is_some_and(|v| file.node_text(v) == name)
            && n.child_by_field_name("field")
                .is_some_and(|f| matches!(file.node_text(f), "secure" | "set_secure"))
    })
}

fn rust(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    for outer in crate::doctor::lang::nodes_of(file, &["call_expression"]) {
        // Only whole chains: skip calls that are the receiver of a further method call.
        if outer
            .parent()
            .is_some_and(|p| p.kind() == "field_expression")
        {
            continue;
        }
        let (root, links) = rust_chain(file, outer);
        if links.is_empty() || root.kind() != "call_expression" {
            continue;
        }
        // An older or custom builder API (`.secure()`, `.http_only()` without arguments):
        // `.secure(true)` would not compile there. Test modules never reach a browser.
        if links
            .iter()
            .any(|l| matches!(l.method.as_str(), "secure" | "http_only") && l.args.is_empty())
            || in_rust_test(file, outer)
        {
            continue;
        }
        let root_callee = callee(file, root);
        if !(root_callee.ends_with("Cookie::build") || root_callee.ends_with("CookieBuilder::new"))
        {
            continue;
        }
        // `Cookie::build((name, value))` (cookie 0.18) or `Cookie::build(name, value)`.
        let root_args = arguments(root);
        let name_node = match root_args.first() {
            Some(tuple) if tuple.kind() == "tuple_expression" => {
                let mut cursor = tuple.walk();
                tuple
                    .named_children(&mut cursor)
                    .find(|n| n.kind() != "comment")
            }
            other => other.copied(),
        };
        let auth = name_node
            .map(|n| string_value(file, n).unwrap_or_else(|| file.node_text(n).to_owned()))
            .is_some_and(|n| auth_looking(&n));
        let same_site_none = links.iter().find(|l| {
            l.method == "same_site"
                && l.args.len() == 1
                && file.node_text(l.args[0]).ends_with("SameSite::None")
        });
        let secure: Vec<&Link<'_>> = links.iter().filter(|l| l.method == "secure").collect();
        let secure_false = secure.iter().find_map(|l| {
            l.args
                .first()
                .filter(|a| rust_bool(file, **a) == Some(false))
        });
        match (same_site_none, secure.is_empty(), secure_false) {
            (Some(same_site), true, _) => {
                if secured_later(file, outer) {
                    continue;
                }
                let span = same_site.dot.end_byte()..same_site.call.end_byte();
                let insert = match crate::doctor::edits::own_line_indent(file, same_site.dot.start_byte()) {
                    Some(indent) => format!("\n{indent}.secure(true)"),
                    None => ".secure(true)".to_owned(),
                };
                out.push(
                    Finding::new(
                        ID,
                        file,
                        span,
                        format!("the cookie is built with `.same_site(SameSite::None)` but no `.secure(true)`: {DROPPED}"),
                    )
                    .help("add `.secure(true)` to the builder")
                    .fix(Fix::safe(
                        "add .secure(true)",
                        vec![Edit::insert(file, same_site.call.end_byte(), insert)],
                    )),
                );
            }
            (Some(_), false, Some(value)) => out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    format!("the cookie is built with `.same_site(SameSite::None)` and `.secure(false)`: {DROPPED}"),
                )
                .help("use `.secure(true)`")
                .fix(Fix::safe(
                    "use .secure(true)",
                    vec![Edit::replace(file, value.byte_range(), "true")],
                )),
            ),
            (None, _, Some(value)) if auth => out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    "`.secure(false)` is set unconditionally on an auth cookie: in production the token can travel over plain http",
                )
                .help("use `.secure(true)`, or a setting that is true in production")
                .fix(Fix::unsafe_(
                    "use .secure(true) (plain-http development outside localhost then loses the cookie)",
                    vec![Edit::replace(file, value.byte_range(), "true")],
                )),
            ),
            _ => {}
        }
        if !auth {
            continue;
        }
        for link in links.iter().filter(|l| l.method == "http_only") {
            let Some(value) = link
                .args
                .first()
                .filter(|a| rust_bool(file, **a) == Some(false))
            else {
                continue;
            };
            out.push(
                Finding::new(
                    ID,
                    file,
                    value.byte_range(),
                    "`.http_only(false)` on an auth cookie lets any injected script read the token",
                )
                .help("use `.http_only(true)`; frontend code reading the cookie should ask the server instead")
                .fix(Fix::unsafe_(
                    "use .http_only(true) (frontend code reading document.cookie stops seeing it)",
                    vec![Edit::replace(file, value.byte_range(), "true")],
                )),
            );
        }
    }
}

// ----------------------------------------------------------------------------------------
// The authgen-generated server's env files

/// Edits that make `key=value` hold in an env file: replace the value, or add a line after
/// the line of `after`.
fn set_env(file: &SourceFile, key: &str, value: &str, after: &EnvEntry) -> Vec<Edit> {
    match file.env_value(key) {
        Some(entry) => vec![Edit::replace(file, entry.value_span.clone(), value)],
        None => vec![Edit::insert(
            file,
            after.line.end,
            format!("\n{key}={value}"),
        )],
    }
}

fn generated_server(ws: &Workspace, out: &mut Vec<Finding>) {
    let dirs = facts::authgen_server_dirs(ws);
    if dirs.is_empty() {
        return;
    }
    let toml_origins: Vec<String> = facts::answers(ws)
        .and_then(|(a, _)| a.cors_origins)
        .unwrap_or_default();
    // The Better Auth face's session cookie, which the `better-auth` client depends on.
    let face_cookie = facts::manifest(ws)
        .and_then(|m| m.server)
        .and_then(|s| s.session_cookie);
    for file in facts::all_env_files(ws) {
        if !dirs.iter().any(|d| d == file.dir()) {
            continue;
        }
        let get = |key: &str| file.env_value(key).filter(|e| !e.value.trim().is_empty());
        let app_env = get("APP_ENV");
        let production = app_env.is_some_and(|e| e.value == "production");
        let secure = get("COOKIE_SECURE");
        let secure_value = secure.map(|e| e.value.as_str());
        let effective_secure = match secure_value {
            Some("true") => true,
            Some("false") => false,
            Some(_) => continue, // the server itself refuses other values
            None => production,
        };
        let same_site = get("COOKIE_SAME_SITE");
        if let (true, Some(entry)) = (production && secure_value == Some("false"), secure) {
            out.push(
                Finding::new(
                    ID,
                    &file,
                    entry.value_span.clone(),
                    "APP_ENV=production with COOKIE_SECURE=false: the auth server refuses to start, since its cookies would travel over plain http",
                )
                .help("set COOKIE_SECURE=true (or remove it: production turns it on)")
                .fix(Fix::safe(
                    "set COOKIE_SECURE=true",
                    vec![Edit::replace(&file, entry.value_span.clone(), "true")],
                )),
            );
        } else if let Some(entry) = same_site.filter(|e| e.value == "none") {
            // Without APP_ENV and COOKIE_SECURE here, production may come from the deploy
            // (the generated Dockerfile sets APP_ENV=production): nothing to say.
            if !effective_secure && (secure.is_some() || app_env.is_some()) {
                out.push(
                    Finding::new(
                        ID,
                        &file,
                        entry.value_span.clone(),
                        "COOKIE_SAME_SITE=none needs COOKIE_SECURE=true: the auth server refuses to start, and browsers would drop such cookies anyway",
                    )
                    .help("set COOKIE_SECURE=true")
                    .fix(Fix::safe(
                        "set COOKIE_SECURE=true",
                        set_env(&file, "COOKIE_SECURE", "true", entry),
                    )),
                );
            }
        }
        if !production {
            continue;
        }
        let Some(issuer) = get("AUTH_ISSUER") else {
            continue;
        };
        if same_site.is_some_and(|e| !matches!(e.value.as_str(), "lax" | "strict")) {
            continue;
        }
        let origins: Vec<String> = match get("CORS_ORIGINS") {
            Some(e) => e.value.split(',').map(|o| o.trim().to_owned()).collect(),
            None => toml_origins.clone(),
        };
        let Some(issuer_host) = public_https_host(&issuer.value) else {
            continue;
        };
        let issuer_site = site(&issuer_host);
        let Some(frontend) = origins
            .iter()
            .find(|o| public_https_host(o).is_some_and(|host| site(&host) != issuer_site))
        else {
            continue;
        };
        let current = same_site.map_or("lax (the default)", |e| e.value.as_str());
        let (cookies, outcome) = match &face_cookie {
            Some(name) => (
                format!("such cookies (Better Auth's `__Secure-{name}` too)"),
                "every session check answers 401 and the `better-auth` client's `useSession()` finds no session",
            ),
            None => ("such cookies".to_owned(), "every session check answers 401"),
        };
        let (anchor, span) = match same_site {
            Some(e) => (e, e.value_span.clone()),
            None => (issuer, issuer.value_span.clone()),
        };
        out.push(
            Finding::new(
                ID,
                &file,
                span,
                format!(
                    "the frontend {frontend} and the auth server {} are on different sites, but COOKIE_SAME_SITE is {current}: browsers never send {cookies} on the frontend's cross-site fetch calls, so {outcome}",
                    issuer.value
                ),
            )
            .help("best: serve the auth server on a subdomain of the frontend's domain (or proxy it through the frontend); otherwise set COOKIE_SAME_SITE=none with COOKIE_SECURE=true")
            .fix(Fix::safe(
                "set COOKIE_SAME_SITE=none",
                set_env(&file, "COOKIE_SAME_SITE", "none", anchor),
            )),
        );
    }
}

/// The host of an `https://` URL that names a public site (not localhost, not an address).
fn public_https_host(url: &str) -> Option<String> {
    let url = url::Url::parse(url.trim()).ok()?;
    if url.scheme() != "https" {
        return None;
    }
    match url.host()? {
        url::Host::Domain(domain) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            (domain != "localhost" && !domain.ends_with(".localhost") && domain.contains('.'))
                .then_some(domain)
        }
        _ => None,
    }
}

/// Public suffixes under which every name is its own site (hosting platforms), and common
/// two-label country suffixes. A host under none of them has a one-label suffix (its TLD).
/// Missing entries make two sites look like one (a missed finding), never the reverse.
const SUFFIXES: &[&str] = &[
    "vercel.app",
    "now.sh",
    "up.railway.app",
    "railway.app",
    "fly.dev",
    "onrender.com",
    "netlify.app",
    "herokuapp.com",
    "pages.dev",
    "workers.dev",
    "github.io",
    "gitlab.io",
    "web.app",
    "firebaseapp.com",
    "appspot.com",
    "azurewebsites.net",
    "azurestaticapps.net",
    "amplifyapp.com",
    "deno.dev",
    "replit.app",
    "repl.co",
    "glitch.me",
    "koyeb.app",
    "ngrok.app",
    "ngrok-free.app",
    "ngrok.io",
    "trycloudflare.com",
    "co.uk",
    "org.uk",
    "ac.uk",
    "com.au",
    "net.au",
    "org.au",
    "co.nz",
    "co.jp",
    "co.in",
    "co.za",
    "com.br",
    "com.mx",
    "com.tr",
    "com.sg",
];

/// The registrable domain ("site") of a host: `app.example.com` → `example.com`,
/// `my-app.vercel.app` → `my-app.vercel.app`.
fn site(host: &str) -> String {
    let suffix_labels = SUFFIXES
        .iter()
        .filter(|s| host.ends_with(&format!(".{s}")))
        .map(|s| s.split('.').count())
        .max()
        .unwrap_or(1);
    let labels: Vec<&str> = host.split('.').collect();
    let keep = (suffix_labels + 1).min(labels.len());
    labels[labels.len() - keep..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites() {
        assert_eq!(site("app.example.com"), "example.com");
        assert_eq!(site("auth.example.com"), "example.com");
        assert_eq!(site("my-app.vercel.app"), "my-app.vercel.app");
        assert_eq!(
            site("api-production.up.railway.app"),
            "api-production.up.railway.app"
        );
        assert_eq!(site("auth.shop.co.uk"), "shop.co.uk");
        assert_eq!(site("example.com"), "example.com");
        assert_ne!(site("web.fly.dev"), site("auth.fly.dev"));
        assert_eq!(public_https_host("http://app.example.com"), None);
        assert_eq!(public_https_host("https://localhost:3000"), None);
        assert_eq!(
            public_https_host("https://App.Example.com/"),
            Some("app.example.com".to_owned())
        );
    }

    /// A generated server in production on another site than its frontend, as its manifest
    /// records it (with or without Better Auth's face).
    fn cross_site(session_cookie: bool) -> Vec<String> {
        let env = "APP_ENV=production\nAUTH_ISSUER=https://shop-auth.up.railway.app\nCORS_ORIGINS=https://shop-web.vercel.app\n";
        crate::doctor::checks::testing::generated_server(
            ID,
            session_cookie,
            &[("auth-server/.env.production", env)],
        )
    }

    #[test]
    fn a_cross_site_frontend_names_the_better_auth_session_cookie_when_the_face_sets_it() {
        let token_only = cross_site(false);
        assert_eq!(token_only.len(), 1, "{token_only:?}");
        assert!(
            token_only[0].contains("never send such cookies on"),
            "{token_only:?}"
        );
        let face = cross_site(true);
        assert_eq!(face.len(), 1, "{face:?}");
        assert!(
            face[0].contains("(Better Auth's `__Secure-better-auth.session_token` too)")
                && face[0].ends_with("`useSession()` finds no session"),
            "{face:?}"
        );
    }

    #[test]
    fn auth_looking_names() {
        for name in [
            "session",
            "sessionid",
            "access_token",
            "ACCESS_COOKIE",
            "refreshToken",
            "auth",
            "__Secure-next-auth.session-token",
            "jwt",
            "sid",
            "remember_me",
        ] {
            assert!(auth_looking(name), "{name}");
        }
        for name in [
            "csrftoken",
            "XSRF-TOKEN",
            "theme",
            "sidebar_state",
            "locale",
            "name",
        ] {
            assert!(!auth_looking(name), "{name}");
        }
    }
}
