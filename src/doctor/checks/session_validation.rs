//! `session-validation`: the verifier expects something the issuer does not send, so every
//! request answers 401.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/session-validation.md`.

use std::rc::Rc;

use tree_sitter::Node;
use url::Url;

use crate::configure::Algorithm;
use crate::discover::parent;
use crate::doctor::facts;
use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang;
use crate::doctor::lang::js::{property, property_path};
use crate::doctor::lang::python::{py_keyword, py_positional};
use crate::doctor::lang::{arguments, callee_name, nodes_of, string_value};
use crate::doctor::workspace::{EnvEntry, Lang, SourceFile, Workspace, is_env_template};
use crate::manifest::{MANIFEST_PATH, ServerFacts};

use crate::doctor::lang::origin;

use super::Check;
use crate::doctor::lang::python::{decode_call, jwt_names, py_resolve, string_list};

pub struct SessionValidation;

const ID: &str = "session-validation";

impl Check for SessionValidation {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    authgen(ws, out);
    let issuers = better_auth_issuers(ws);
    // The generated server's Better Auth face sets Better Auth's session cookie too.
    let face = facts::manifest(ws)
        .and_then(|m| m.server)
        .and_then(|s| s.session_cookie);
    if issuers.is_empty() && face.is_none() {
        return;
    }
    for file in ws.sources_in(&[Lang::Python]) {
        if lang::is_test_path(&file.rel) {
            continue;
        }
        if issuers.is_empty() {
            if let Some(cookie) = &face
                && file.text.contains(".session_token")
            {
                let prefix = cookie.trim_end_matches(".session_token");
                let issuer = SessionCookie {
                    prefix,
                    https: true,
                    who: "the auth server (its Better Auth API) with Secure cookies, as in production,",
                };
                cookie_names(&file, &issuer, out);
            }
            continue;
        }
        python_verifier(ws, &file, &issuers, out);
    }
}

// ---- authgen server ↔ backend verifier ----

/// What an authgen server issues in one environment.
struct Issued {
    issuer: String,
    audience: Option<String>,
    jwks_path: Option<String>,
    cookie: Option<String>,
    /// Where the values were read, for messages.
    source: String,
}

/// Development env file names: they pair with the server's development values.
fn is_development(name: &str) -> bool {
    matches!(
        name,
        ".env" | ".env.local" | ".env.development" | ".env.development.local"
    )
}

/// Env files directly in `dir` (`""` is the root).
fn env_files_in(ws: &Workspace, dir: &str) -> Vec<Rc<SourceFile>> {
    ws.env_files()
        .iter()
        .filter(|f| parent(f) == dir)
        .filter_map(|f| ws.source(f))
        .collect()
}

/// A value usable for comparison: set, not empty, no `${...}` interpolation.
fn plain(entry: &EnvEntry) -> Option<&str> {
    let value = entry.value.trim();
    (!value.is_empty() && !value.contains("${")).then_some(value)
}

fn issued(
    server: &ServerFacts,
    env: Option<&SourceFile>,
    port: u16,
    algorithm: Option<Algorithm>,
) -> Option<Issued> {
    let value = |key: &str| {
        env.and_then(|e| e.env_value(key))
            .and_then(|entry| plain(entry).map(str::to_owned))
    };
    let raw = |key: &str| {
        env.and_then(|e| e.env_value(key))
            .is_some_and(|e| plain(e).is_none() && !e.value.trim().is_empty())
    };
    if raw("AUTH_ISSUER") || raw("AUTH_AUDIENCE") || raw("AUTH_BASE_PATH") || raw("PORT") {
        return None; // interpolated: not known here
    }
    let port = value("PORT").and_then(|p| p.parse().ok()).unwrap_or(port);
    let issuer = value("AUTH_ISSUER").unwrap_or_else(|| format!("http://localhost:{port}"));
    let audience = value("AUTH_AUDIENCE").unwrap_or_else(|| server.audience.clone());
    let base_path = value("AUTH_BASE_PATH").unwrap_or_else(|| server.base_path.clone());
    let jwks_path = match algorithm {
        Some(Algorithm::Eddsa) => Some(format!("{}/jwks", base_path.trim_end_matches('/'))),
        _ => None,
    };
    Some(Issued {
        issuer,
        audience: Some(audience),
        jwks_path,
        cookie: Some(if value("APP_ENV").as_deref() == Some("production") {
            server
                .production_access_cookie
                .clone()
                .unwrap_or_else(|| format!("__Host-{}", server.access_cookie))
        } else {
            server.access_cookie.clone()
        }),
        source: env.map_or_else(
            || format!("its defaults, recorded in {MANIFEST_PATH}"),
            |e| e.rel.clone(),
        ),
    })
}

/// The generated FastAPI settings' `audience` default, with the literal's node range.
fn settings_audience(
    ws: &Workspace,
    backend_dir: &str,
) -> Option<(Rc<SourceFile>, std::ops::Range<usize>, String)> {
    let prefix = if backend_dir.is_empty() {
        String::new()
    } else {
        format!("{backend_dir}/")
    };
    let file = ws
        .named("settings.py")
        .filter(|f| f.starts_with(&prefix))
        .filter_map(|f| ws.source(f))
        .find(|f| f.text.contains("class AuthSettings(BaseSettings)"))?;
    for assignment in nodes_of(&file, &["assignment"]) {
        let left = assignment.child_by_field_name("left")?;
        if file.node_text(left) != "audience" {
            continue;
        }
        let right = assignment.child_by_field_name("right")?;
        let value = string_value(&file, right)?;
        return Some((file.clone(), right.byte_range(), value));
    }
    None
}

fn authgen(ws: &Workspace, out: &mut Vec<Finding>) {
    let Some((answers, _)) = facts::answers(ws) else {
        return;
    };
    let Some(backend_dir) = answers.backend_dir.as_deref() else {
        return;
    };
    let backend_dir = backend_dir.trim_matches('/').trim_start_matches("./");
    let backend_dir = if backend_dir == "." { "" } else { backend_dir };
    let Some(server_dir) = facts::authgen_server_dirs(ws).into_iter().next() else {
        return;
    };
    // What the server issues is recorded by `authgen init`; without it nothing is compared.
    let Some(server) = facts::manifest(ws).and_then(|m| m.server) else {
        return;
    };
    if server_dir == backend_dir {
        return;
    }
    let port = answers.port.unwrap_or(4000);
    let server_envs = env_files_in(ws, &server_dir);
    let find = |name: &str| server_envs.iter().find(|f| f.name() == name).cloned();
    for backend_env in env_files_in(ws, backend_dir) {
        let name = backend_env.name();
        if is_env_template(name) {
            continue;
        }
        let server_env = match find(name) {
            Some(env) => Some(env),
            None if is_development(name) => find(".env")
                .or_else(|| find(".env.local"))
                .or_else(|| find(".env.example")),
            None => continue, // another environment the server has no file for
        };
        let Some(issued) = issued(&server, server_env.as_deref(), port, answers.algorithm) else {
            continue;
        };
        compare(ws, &backend_env, backend_dir, &issued, out);
    }
}

fn compare(
    ws: &Workspace,
    env: &Rc<SourceFile>,
    backend_dir: &str,
    issued: &Issued,
    out: &mut Vec<Finding>,
) {
    let from = &issued.source;
    // `what` says what the server does with the value, `why` what the difference breaks.
    let differs = |entry: &EnvEntry, expected: &str, what: &str, why: &str| {
        Finding::new(
            ID,
            env,
            entry.value_span.clone(),
            format!(
                "{} is `{}` but the auth server {what} `{expected}` ({from}): {why}",
                entry.key, entry.value
            ),
        )
        .help(format!("set {}={expected}", entry.key))
        .fix(Fix::safe(
            format!("set {}={expected}", entry.key),
            vec![Edit::replace(env, entry.value_span.clone(), expected)],
        ))
    };
    if let Some(entry) = env.env_value("AUTH_ISSUER")
        && let Some(value) = plain(entry)
        && value != issued.issuer
    {
        out.push(differs(
            entry,
            &issued.issuer,
            "issues tokens with the issuer",
            "the verifier compares `iss` exactly (a trailing slash counts), so every token is rejected with `Invalid issuer`",
        ));
    }
    if let Some(audience) = &issued.audience {
        match env.env_value("AUTH_AUDIENCE") {
            Some(entry) => {
                if plain(entry).is_some_and(|v| v != audience) {
                    out.push(differs(
                        entry,
                        audience,
                        "issues tokens for the audience",
                        "every token is rejected with `Invalid audience`",
                    ));
                }
            }
            None => {
                if let Some((settings, range, default)) = settings_audience(ws, backend_dir)
                    && &default != audience
                {
                    let text = &env.text;
                    let newline = if text.is_empty() || text.ends_with('\n') {
                        ""
                    } else {
                        "\n"
                    };
                    out.push(
                        Finding::new(
                            ID,
                            &settings,
                            range,
                            format!(
                                "the verifier expects the audience `{default}` ({} sets no AUTH_AUDIENCE) but the auth server issues `{audience}` ({from}): every token is rejected with `Invalid audience`",
                                env.rel
                            ),
                        )
                        .help(format!("add AUTH_AUDIENCE={audience} to {}", env.rel))
                        .fix(Fix::safe(
                            format!("add AUTH_AUDIENCE={audience} to {}", env.rel),
                            vec![Edit::insert(
                                env,
                                text.len(),
                                format!("{newline}AUTH_AUDIENCE={audience}\n"),
                            )],
                        )),
                    );
                }
            }
        }
    }
    if let Some(path) = &issued.jwks_path
        && let Some(entry) = env.env_value("AUTH_JWKS_URL")
        && let Some(value) = plain(entry)
        && let Ok(mut url) = Url::parse(value)
        && url.path() != path
    {
        url.set_path(path);
        url.set_query(None);
        let expected = url.to_string();
        out.push(differs(
            entry,
            &expected,
            "publishes its keys at",
            "any other path answers 404 and no token can be verified (`Unable to find a signing key`)",
        ));
    }
    if let Some(cookie) = &issued.cookie
        && let Some(entry) = env.env_value("AUTH_COOKIE_NAME")
        && plain(entry).is_some_and(|v| v != cookie)
    {
        out.push(differs(
            entry,
            cookie,
            "sets the access token in the cookie",
            "under another name the verifier finds no token (401 on every cookie request)",
        ));
    }
}

// ---- Better Auth ↔ Python verifiers ----

/// What a `betterAuth({...})` configuration issues. `None`: not a literal here.
struct BetterAuth {
    /// The jwt plugin's signing algorithm (`Some` only with the plugin).
    alg: Option<String>,
    jwt: bool,
    base_path: Option<String>,
    /// `<basePath>/jwks`, unless the plugin moves it.
    jwks_path: Option<String>,
    /// Origins of the base URL: the literal `baseURL`, or `BETTER_AUTH_URL` in env files.
    origins: Vec<String>,
    /// The `iss` / `aud` it may set (one per environment); empty when not known.
    issuer: Vec<String>,
    audience: Vec<String>,
    cookie_prefix: Option<String>,
    https: bool,
    /// The built-in PostgreSQL adapter (`database: new Pool(...)`) without `fields` mappings:
    /// tables `session`, `user`, ... with camelCase columns (`"userId"`, `"expiresAt"`).
    camel_case_tables: bool,
}

/// A string literal property, `Err(())` when present but not a literal.
fn literal(file: &SourceFile, node: Option<Node<'_>>) -> Result<Option<String>, ()> {
    match node {
        None => Ok(None),
        Some(n) => string_value(file, n).map(Some).ok_or(()),
    }
}

fn better_auth_issuers(ws: &Workspace) -> Vec<BetterAuth> {
    let mut issuers = Vec::new();
    for config in facts::better_auth_configs(ws) {
        let Some(object) = config.node() else {
            continue;
        };
        let file = &config.file;
        let jwt_options = property(file, object, "plugins")
            .filter(|p| p.kind() == "array")
            .and_then(|plugins| plugin_call(file, plugins, "jwt"));
        let jwt = jwt_options.is_some();
        let options =
            jwt_options.and_then(|call| arguments(call).into_iter().find(|a| a.kind() == "object"));
        let alg = match options.map(|o| {
            literal(
                file,
                property_path(file, o, &["jwks", "keyPairConfig", "alg"]),
            )
        }) {
            None if jwt => Some("EdDSA".to_owned()),
            Some(Ok(None)) => Some("EdDSA".to_owned()),
            Some(Ok(Some(alg))) => Some(alg),
            _ => None,
        };
        let base_path = match literal(file, property(file, object, "basePath")) {
            Ok(Some(path)) => Some(path),
            Ok(None) => Some("/api/auth".to_owned()),
            Err(()) => None,
        };
        let moved =
            options.is_some_and(|o| property_path(file, o, &["jwks", "jwksPath"]).is_some());
        let jwks_path = base_path
            .as_ref()
            .filter(|_| !moved)
            .map(|b| format!("{}/jwks", b.trim_end_matches('/')));
        let mut urls = Vec::new();
        let mut base_known = true;
        match literal(file, property(file, object, "baseURL")) {
            Ok(Some(url)) => urls.push(url),
            Ok(None) => {
                // BETTER_AUTH_URL from env files of this package and its parents.
                urls.extend(
                    value_env_files_up(ws, &file.rel)
                        .iter()
                        .filter_map(|env| env.env_value("BETTER_AUTH_URL").and_then(plain))
                        .map(str::to_owned),
                );
            }
            Err(()) => base_known = false,
        }
        let mut origins: Vec<String> = urls.iter().filter_map(|u| origin(u)).collect();
        origins.sort();
        origins.dedup();
        let claim = |key: &str| match options
            .map(|o| literal(file, property_path(file, o, &["jwt", key])))
        {
            Some(Ok(Some(value))) => vec![value],
            Some(Err(())) => Vec::new(),
            _ if base_known => origins.clone(),
            _ => Vec::new(),
        };
        let advanced = property(file, object, "advanced");
        let cookie_prefix = match literal(
            file,
            advanced.and_then(|a| property(file, a, "cookiePrefix")),
        ) {
            Ok(Some(prefix)) => Some(prefix),
            Ok(None) => Some("better-auth".to_owned()),
            Err(()) => None,
        };
        let https = origins.iter().any(|o| o.starts_with("https://"))
            || advanced
                .and_then(|a| property(file, a, "useSecureCookies"))
                .and_then(lang::js::js_bool)
                == Some(true);
        let pg_pool = property(file, object, "database").is_some_and(|db| {
            db.kind() == "new_expression"
                && db
                    .child_by_field_name("constructor")
                    .is_some_and(|c| file.node_text(c).rsplit('.').next() == Some("Pool"))
        });
        let mapped = ["session", "user", "account"].iter().any(|model| {
            property_path(file, object, &[model, "fields"]).is_some()
                || property_path(file, object, &[model, "modelName"]).is_some()
        });
        issuers.push(BetterAuth {
            camel_case_tables: pg_pool && !mapped,
            alg: if jwt { alg } else { None },
            jwt,
            base_path,
            jwks_path,
            issuer: claim("issuer"),
            audience: claim("audience"),
            origins: if base_known { origins } else { Vec::new() },
            cookie_prefix,
            https,
        });
    }
    issuers
}

/// The `name(...)` call among a `plugins: [...]` array's elements.
#[allow(clippy::let_and_return)] // the binding ends the cursor borrow before return
fn plugin_call<'t>(file: &SourceFile, plugins: Node<'t>, name: &str) -> Option<Node<'t>> {
    let mut cursor = plugins.walk();
    let found = plugins
        .named_children(&mut cursor)
        .find(|p| p.kind() == "call_expression" && callee_name(file, *p) == name);
    found
}

/// Where a URL handed to `PyJWKClient` comes from: a literal in the file or an env entry.
enum UrlSource<'t> {
    Literal(Node<'t>),
    Env(Rc<SourceFile>, EnvEntry),
}

/// `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")`: `X`.
fn env_var_read(file: &SourceFile, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "subscript" => {
            let value = node.child_by_field_name("value")?;
            (file.node_text(value).ends_with("environ"))
                .then(|| node.child_by_field_name("subscript"))
                .flatten()
                .and_then(|s| string_value(file, s))
        }
        "call" => {
            let function = file.node_text(node.child_by_field_name("function")?);
            (function.ends_with("getenv") || function.ends_with("environ.get"))
                .then(|| py_positional(node).first().copied())
                .flatten()
                .and_then(|a| string_value(file, a))
        }
        _ => None,
    }
}

/// Env files with values (not templates) in `rel`'s directory and its parents, nearest first.
fn value_env_files_up(ws: &Workspace, rel: &str) -> Vec<Rc<SourceFile>> {
    let mut files = Vec::new();
    let mut dir = parent(rel).to_owned();
    loop {
        files.extend(
            env_files_in(ws, &dir)
                .into_iter()
                .filter(|env| !is_env_template(env.name())),
        );
        if dir.is_empty() {
            return files;
        }
        dir = parent(&dir).to_owned();
    }
}

/// The nearest entry for env variable `key` above `rel`, with its file.
fn env_lookup(ws: &Workspace, rel: &str, key: &str) -> Option<(Rc<SourceFile>, EnvEntry)> {
    value_env_files_up(ws, rel).into_iter().find_map(|env| {
        let entry = env.env_value(key)?.clone();
        Some((env, entry))
    })
}

fn python_verifier(
    ws: &Workspace,
    file: &Rc<SourceFile>,
    issuers: &[BetterAuth],
    out: &mut Vec<Finding>,
) {
    if file.text.contains("jwt") {
        jwt_verifier(ws, file, issuers, out);
    }
    if file.text.contains(".session_token") {
        let mut prefixes: Vec<&str> = issuers
            .iter()
            .filter_map(|i| i.cookie_prefix.as_deref())
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        // Several servers or an unknown prefix: which one this reads is not known.
        if let [prefix] = prefixes.as_slice() {
            let issuer = SessionCookie {
                prefix,
                https: issuers.iter().any(|i| i.https),
                who: "Better Auth on https",
            };
            cookie_names(file, &issuer, out);
        }
    }
    if issuers.iter().any(|i| i.camel_case_tables) {
        sql_names(file, out);
    }
}

fn jwt_verifier(
    ws: &Workspace,
    file: &Rc<SourceFile>,
    issuers: &[BetterAuth],
    out: &mut Vec<Finding>,
) {
    let names = jwt_names(file);
    let decodes: Vec<Node<'_>> = nodes_of(file, &["call"])
        .into_iter()
        .filter(|call| decode_call(file, &names, *call).is_some())
        .collect();
    // The session secret is not a JWT key.
    for call in &decodes {
        let positional = py_positional(*call);
        let Some(key) = py_keyword(file, *call, "key").or_else(|| positional.get(1).copied())
        else {
            continue;
        };
        if file
            .node_text(key)
            .to_ascii_lowercase()
            .contains("better_auth_secret")
        {
            out.push(
                Finding::new(ID, file, key.byte_range(), "tokens are verified with BETTER_AUTH_SECRET, which Better Auth never signs JWTs with: it signs session cookies with it, and its jwt plugin signs with the asymmetric keys it publishes at `<basePath>/jwks` (every token fails with `Signature verification failed` or `The specified alg value is not allowed`)")
                    .help("fetch the keys with `jwt.PyJWKClient(\"<BETTER_AUTH_URL>/api/auth/jwks\")` and pin the plugin's algorithm (`algorithms=[\"EdDSA\"]`); send the JWT from `/api/auth/token` or the `set-auth-jwt` header, not the session cookie"),
            );
        }
    }
    // PyJWKClient pointed at the Better Auth server.
    for call in nodes_of(file, &["call"]) {
        if callee_name(file, call) != "PyJWKClient" {
            continue;
        }
        let Some(arg) =
            py_keyword(file, call, "uri").or_else(|| py_positional(call).first().copied())
        else {
            continue;
        };
        let arg = py_resolve(file, arg);
        let (url, source) = if let Some(url) = string_value(file, arg) {
            (url, UrlSource::Literal(arg))
        } else if let Some(key) = env_var_read(file, arg)
            && let Some((env, entry)) = env_lookup(ws, &file.rel, &key)
            && let Some(value) = plain(&entry)
        {
            (value.to_owned(), UrlSource::Env(env.clone(), entry.clone()))
        } else {
            continue;
        };
        let Ok(mut parsed) = Url::parse(&url) else {
            continue;
        };
        let Some(issuer) = issuers.iter().find(|i| {
            i.jwt
                && (origin(&url).is_some_and(|o| i.origins.contains(&o))
                    || i.base_path.as_ref().is_some_and(|b| {
                        parsed
                            .path()
                            .starts_with(&format!("{}/", b.trim_end_matches('/')))
                    }))
        }) else {
            continue;
        };
        if let Some(path) = &issuer.jwks_path
            && parsed.path() != path
        {
            parsed.set_path(path);
            let expected = parsed.to_string();
            let message = format!(
                "the JWKS URL `{url}` is not where Better Auth publishes its keys (`{path}`): the request answers 404 and no token verifies (`Unable to find a signing key that matches`)"
            );
            let finding = match &source {
                UrlSource::Literal(node) => {
                    Finding::new(ID, file, node.byte_range(), message).fix(Fix::safe(
                        format!("use {expected}"),
                        vec![Edit::replace(
                            file,
                            node.byte_range(),
                            format!("\"{expected}\""),
                        )],
                    ))
                }
                UrlSource::Env(env, entry) => {
                    Finding::new(ID, env, entry.value_span.clone(), message).fix(Fix::safe(
                        format!("set {}={expected}", entry.key),
                        vec![Edit::replace(
                            env,
                            entry.value_span.clone(),
                            expected.clone(),
                        )],
                    ))
                }
            };
            out.push(finding.help(format!("use `{expected}`")));
        }
        for decode in &decodes {
            expected_claims(file, *decode, issuer, out);
        }
    }
}

/// A decode call of a file whose keys come from Better Auth: algorithm, audience, issuer.
fn expected_claims(
    file: &Rc<SourceFile>,
    call: Node<'_>,
    issuer: &BetterAuth,
    out: &mut Vec<Finding>,
) {
    let positional = py_positional(call);
    if let Some(alg) = &issuer.alg
        && let Some(algorithms) =
            py_keyword(file, call, "algorithms").or_else(|| positional.get(2).copied())
    {
        let resolved = py_resolve(file, algorithms);
        if let Some(list) = string_list(file, resolved)
            && !list.contains(alg)
        {
            out.push(
                Finding::new(ID, file, resolved.byte_range(), format!("the verifier accepts {list:?} but Better Auth's jwt plugin signs with {alg}: every token fails with `The specified alg value is not allowed`"))
                    .help(format!("pin `algorithms=[\"{alg}\"]`"))
                    .fix(Fix::safe(format!("use [\"{alg}\"]"), vec![Edit::replace(file, resolved.byte_range(), format!("[\"{alg}\"]"))])),
            );
        }
    }
    for (keyword, expected, error) in [
        ("audience", &issuer.audience, "Invalid audience"),
        ("issuer", &issuer.issuer, "Invalid issuer"),
    ] {
        let Some(node) = py_keyword(file, call, keyword) else {
            continue;
        };
        let node = py_resolve(file, node);
        let Some(value) = string_value(file, node) else {
            continue;
        };
        if expected.is_empty() || expected.contains(&value) {
            continue;
        }
        let issued = expected
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        let finding = Finding::new(
            ID,
            file,
            node.byte_range(),
            format!(
                "the verifier expects {keyword} `{value}` but Better Auth's jwt plugin sets {issued} (the base URL unless `jwt.{keyword}` is set): every token fails with `{error}`"
            ),
        );
        out.push(match expected.as_slice() {
            [one] => finding
                .help(format!("use `{keyword}=\"{one}\"`"))
                .fix(Fix::safe(
                    format!("use \"{one}\""),
                    vec![Edit::replace(file, node.byte_range(), format!("\"{one}\""))],
                )),
            _ => finding.help(format!(
                "read the {keyword} from the same setting as BETTER_AUTH_URL in each environment"
            )),
        });
    }
}

/// Cookie names the Python side reads, against Better Auth's prefix and `__Secure-` on https.
/// The session cookie a server sets: `<prefix>.session_token`, `__Secure-` prefixed over
/// https; `who` names the server in messages.
struct SessionCookie<'a> {
    prefix: &'a str,
    https: bool,
    who: &'a str,
}

fn cookie_names(file: &Rc<SourceFile>, issuer: &SessionCookie<'_>, out: &mut Vec<Finding>) {
    let SessionCookie { prefix, https, who } = *issuer;
    let secure_variant = file.text.contains("__Secure-");
    for node in nodes_of(file, &["string"]) {
        let Some(value) = string_value(file, node) else {
            continue;
        };
        let Some(name) = value.strip_suffix(".session_token") else {
            continue;
        };
        let bare = name.trim_start_matches("__Secure-");
        if bare == "better-auth" && prefix != "better-auth" {
            let expected = value.replacen("better-auth", prefix, 1);
            out.push(
                Finding::new(ID, file, node.byte_range(), format!("reads the cookie `{value}` but Better Auth's `advanced.cookiePrefix` names it `{expected}`: no request carries a session"))
                    .help(format!("read `{expected}`"))
                    .fix(Fix::safe(format!("read {expected}"), vec![Edit::replace(file, node.byte_range(), format!("\"{expected}\""))])),
            );
        }
        if name == bare && (bare == prefix || bare == "better-auth") && https && !secure_variant {
            let cookie = format!("{prefix}.session_token");
            out.push(
                Finding::new(ID, file, node.byte_range(), format!("no `__Secure-{cookie}`: {who} adds the `__Secure-` prefix to its session cookie, so in production this code finds no session"))
                    .help(format!("read `__Secure-{cookie}` first and fall back to `{cookie}` for http development"))
                    .fix(Fix::display_only(format!("read `__Secure-{cookie}`, then `{cookie}`"), Vec::new())),
            );
        }
    }
}

// ---- Better Auth's tables queried from Python ----

/// Better Auth's core tables, and their camelCase columns (the PostgreSQL adapter quotes them).
const BA_TABLES: &[&str] = &["session", "user", "account", "verification"];
const BA_COLUMNS: &[&str] = &[
    "userId",
    "expiresAt",
    "createdAt",
    "updatedAt",
    "ipAddress",
    "userAgent",
    "emailVerified",
    "accountId",
    "providerId",
    "accessToken",
    "refreshToken",
    "idToken",
    "accessTokenExpiresAt",
    "refreshTokenExpiresAt",
];

/// SQL in Python string literals that reads Better Auth's tables with unquoted camelCase
/// columns (PostgreSQL folds `userId` to `userid`) or `FROM user` (the `CURRENT_USER` keyword).
fn sql_names(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    for node in nodes_of(file, &["string"]) {
        let Some(sql) = string_value(file, node) else {
            continue;
        };
        let lower = sql.to_ascii_lowercase();
        if !(lower.contains("select") || lower.contains("update") || lower.contains("delete"))
            || !BA_TABLES.iter().any(|t| lower.contains(t))
        {
            continue;
        }
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, &sql).tokenize_with_location()
        else {
            continue;
        };
        let words: Vec<(&sqlparser::tokenizer::Word, usize, usize)> = tokens
            .iter()
            .filter_map(|t| match &t.token {
                Token::Word(w) => {
                    Some((w, t.span.start.line as usize, t.span.start.column as usize))
                }
                _ => None,
            })
            .collect();
        let follows_table_keyword = |i: usize| {
            i > 0
                && words[i - 1].0.quote_style.is_none()
                && matches!(
                    words[i - 1].0.value.to_ascii_uppercase().as_str(),
                    "FROM" | "JOIN" | "UPDATE" | "INTO"
                )
        };
        let reads_ba_table = words.iter().enumerate().any(|(i, (w, _, _))| {
            follows_table_keyword(i) && BA_TABLES.contains(&w.value.as_str())
        });
        if !reads_ba_table {
            continue;
        }
        for (i, (word, line, column)) in words.iter().enumerate() {
            if word.quote_style.is_some() {
                continue;
            }
            let message = if BA_COLUMNS.contains(&word.value.as_str()) {
                format!(
                    "`{}` without quotes is folded to `{}` by PostgreSQL, but Better Auth's column is \"{}\": the query fails with `column \"{}\" does not exist`",
                    word.value,
                    word.value.to_ascii_lowercase(),
                    word.value,
                    word.value.to_ascii_lowercase()
                )
            } else if word.value.eq_ignore_ascii_case("user") && follows_table_keyword(i) {
                "`user` without quotes is PostgreSQL's CURRENT_USER, not Better Auth's table: write \"user\"".to_owned()
            } else {
                continue;
            };
            let Some(range) = sql_word_range(file, node, &sql, *line, *column, word.value.len())
            else {
                continue;
            };
            let quoted = quoted_for(file, node, &word.value);
            out.push(
                Finding::new(ID, file, range.clone(), message)
                    .help(format!("quote it: {quoted}"))
                    .fix(Fix::safe(
                        format!("write {quoted}"),
                        vec![Edit::replace(file, range, quoted)],
                    )),
            );
        }
    }
}

/// The file bytes of a word at `line`:`column` (1-based, in characters) of a Python string's
/// value; `None` when the literal has escapes (value and source then differ).
fn sql_word_range(
    file: &SourceFile,
    node: Node<'_>,
    sql: &str,
    line: usize,
    column: usize,
    len: usize,
) -> Option<std::ops::Range<usize>> {
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    if children.iter().any(|c| c.kind() == "escape_sequence") {
        return None;
    }
    let content = children.iter().find(|c| c.kind() == "string_content")?;
    let line_start: usize = sql
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let in_line: usize = sql[line_start..]
        .chars()
        .take(column.checked_sub(1)?)
        .map(char::len_utf8)
        .sum();
    let start = content.start_byte() + line_start + in_line;
    (file.text.get(start..start + len)?.len() == len).then_some(start..start + len)
}

/// `"name"` as it must be written inside this Python literal (escaped in `"..."` strings).
fn quoted_for(file: &SourceFile, node: Node<'_>, name: &str) -> String {
    let delimiter = node
        .child(0)
        .map(|c| {
            file.node_text(c)
                .trim_start_matches(|ch: char| ch.is_ascii_alphabetic())
        })
        .unwrap_or_default();
    if delimiter == "\"" {
        format!("\\\"{name}\\\"")
    } else {
        format!("\"{name}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://auth.example.com/api/auth").as_deref(),
            Some("https://auth.example.com")
        );
        assert_eq!(
            origin("http://localhost:3000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(origin("not a url"), None);
    }

    /// A generated server with the Better Auth face, as its manifest records it, and a
    /// FastAPI backend reading Better Auth's session cookie by hand.
    fn with_face(reader: &str, session_cookie: bool) -> Vec<String> {
        crate::doctor::checks::testing::generated_server(
            ID,
            session_cookie,
            &[
                ("api/requirements.txt", "fastapi\n"),
                ("api/app/session.py", reader),
            ],
        )
    }

    #[test]
    fn a_backend_reading_the_faces_session_cookie_needs_its_production_name() {
        let bare = "from fastapi import Request\n\n\ndef token(request: Request):\n    return request.cookies.get(\"better-auth.session_token\")\n";
        let found = with_face(bare, true);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("no `__Secure-better-auth.session_token`: the auth server"),
            "{found:?}"
        );
        let both = "from fastapi import Request\n\n\ndef token(request: Request):\n    return request.cookies.get(\"__Secure-better-auth.session_token\") or request.cookies.get(\"better-auth.session_token\")\n";
        assert_eq!(with_face(both, true), Vec::<String>::new());
        // A token-only server sets no such cookie: nothing to compare with.
        assert_eq!(with_face(bare, false), Vec::<String>::new());
    }
}
