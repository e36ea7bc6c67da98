//! `email-service`: email verification, password reset or magic links turned on without a way
//! to send the mail.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/email-service.md`.

use std::rc::Rc;

use tree_sitter::Node;

use crate::configure::{EmailVerification, Method};
use crate::doctor::facts;
use crate::doctor::finding::{Finding, Fix};
use crate::doctor::lang;
use crate::doctor::lang::fields;
use crate::doctor::lang::js::{js_imports, property, property_pair};
use crate::doctor::lang::{
    arguments, callee, callee_name, descendants, is_test_path, nodes_of, string_value,
};
use crate::doctor::workspace::{Lang, SourceFile, Workspace};

use super::Check;

pub struct EmailService;

const ID: &str = "email-service";

impl Check for EmailService {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let configs: Vec<facts::BetterAuthConfig> = facts::better_auth_configs(ws)
        .into_iter()
        .filter(|c| !is_test_path(&c.file.rel))
        .collect();
    let mut sends_mail = false;
    let mut reset_missing_everywhere = !configs.is_empty();
    for config in &configs {
        let Some(object) = config.node() else {
            reset_missing_everywhere = false;
            continue;
        };
        let facts = options(&config.file, object);
        sends_mail |= facts.sends_mail;
        reset_missing_everywhere &= facts.reset_missing;
        verification_without_sender(&config.file, object, &facts, out);
    }
    if reset_missing_everywhere {
        reset_calls(ws, out);
    }
    if sends_mail {
        providers(ws, out);
    }
    authgen_server(ws, out);
}

/// What one options object says about email.
struct Options {
    /// The options object or `emailVerification` spread other objects in: unknown keys.
    spread: bool,
    /// Some callback or plugin sends mail.
    sends_mail: bool,
    /// `emailAndPassword` is a literal, enabled, with no `sendResetPassword`.
    reset_missing: bool,
    /// An `emailOTP` plugin (it may verify addresses instead), or plugins that are not a
    /// literal array.
    otp_or_unknown_plugins: bool,
}

fn has_spread(object: Node<'_>) -> bool {
    let mut cursor = object.walk();
    object
        .named_children(&mut cursor)
        .any(|c| c.kind() == "spread_element")
}

fn object_value<'t>(file: &SourceFile, object: Node<'t>, key: &str) -> Option<Node<'t>> {
    property(file, object, key).filter(|v| v.kind() == "object")
}

fn literal_true(file: &SourceFile, object: Node<'_>, key: &str) -> bool {
    property(file, object, key).is_some_and(|v| v.kind() == "true")
}

/// The plugin calls of `plugins: [...]`, when it is a literal array.
fn plugin_calls<'t>(file: &SourceFile, object: Node<'t>) -> Option<Vec<(String, Node<'t>)>> {
    let Some(plugins) = property(file, object, "plugins") else {
        return Some(Vec::new());
    };
    if plugins.kind() != "array" {
        return None;
    }
    let mut cursor = plugins.walk();
    let calls = plugins
        .named_children(&mut cursor)
        .filter(|p| p.kind() == "call_expression")
        .map(|p| (callee_name(file, p).to_owned(), p))
        .collect();
    Some(calls)
}

fn options(file: &SourceFile, object: Node<'_>) -> Options {
    let email_and_password = object_value(file, object, "emailAndPassword");
    let verification = object_value(file, object, "emailVerification");
    let plugins = plugin_calls(file, object);
    let plugin_sends = plugins.as_ref().is_some_and(|calls| {
        calls
            .iter()
            .any(|(name, _)| matches!(name.as_str(), "magicLink" | "emailOTP"))
    });
    let sends_mail = email_and_password
        .is_some_and(|e| property(file, e, "sendResetPassword").is_some())
        || verification.is_some_and(|v| property(file, v, "sendVerificationEmail").is_some())
        || plugin_sends;
    let reset_missing = !has_spread(object)
        && email_and_password.is_some_and(|e| {
            literal_true(file, e, "enabled")
                && !has_spread(e)
                && property(file, e, "sendResetPassword").is_none()
        });
    Options {
        spread: has_spread(object) || verification.is_some_and(has_spread),
        sends_mail,
        reset_missing,
        otp_or_unknown_plugins: plugins
            .is_none_or(|calls| calls.iter().any(|(name, _)| name == "emailOTP")),
    }
}

fn verification_without_sender(
    file: &Rc<SourceFile>,
    object: Node<'_>,
    facts: &Options,
    out: &mut Vec<Finding>,
) {
    if facts.spread || facts.otp_or_unknown_plugins {
        return;
    }
    let verification = match property(file, object, "emailVerification") {
        None => None,
        Some(v) if v.kind() == "object" => Some(v),
        Some(_) => return, // built elsewhere
    };
    if verification.is_some_and(|v| property(file, v, "sendVerificationEmail").is_some()) {
        return;
    }
    // Better Auth before 1.0 took the sender in `emailAndPassword`.
    if object_value(file, object, "emailAndPassword")
        .is_some_and(|e| property(file, e, "sendVerificationEmail").is_some())
    {
        return;
    }
    let required = object_value(file, object, "emailAndPassword")
        .filter(|e| literal_true(file, *e, "requireEmailVerification"))
        .and_then(|e| property_pair(file, e, "requireEmailVerification"));
    let on_sign_up = verification
        .filter(|v| literal_true(file, *v, "sendOnSignUp"))
        .and_then(|v| property_pair(file, v, "sendOnSignUp"));
    let (pair, consequence) = match (required, on_sign_up) {
        (Some(pair), _) => (
            pair,
            "sign-in of every new user is refused with 403 EMAIL_NOT_VERIFIED, and the verification email they need is never sent",
        ),
        (None, Some(pair)) => (
            pair,
            "no verification email is ever sent (requests for one answer 400 VERIFICATION_EMAIL_NOT_ENABLED)",
        ),
        (None, None) => return,
    };
    let what = file.node_text(pair);
    out.push(
        Finding::new(
            ID,
            file,
            pair.byte_range(),
            format!("`{what}` without `emailVerification.sendVerificationEmail`: {consequence}"),
        )
        .help("add `emailVerification.sendVerificationEmail` that sends the link with your email provider (Resend, SMTP, ...), or turn verification off until one is configured")
        .fix(Fix::display_only(
            "add emailVerification: { sendVerificationEmail: async ({ user, url }) => { /* send url to user.email */ } }",
            Vec::new(),
        )),
    );
}

// ----------------------------------------------------------------------------------------
// Password reset called while no sender exists

/// Names bound to a Better Auth client: `const authClient = createAuthClient(...)`, and
/// `const { forgetPassword } = authClient` / `= createAuthClient(...)` destructurings.
fn client_bindings(ws: &Workspace) -> (Vec<String>, Vec<String>) {
    let mut clients = Vec::new();
    let mut destructured = Vec::new();
    let files = ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]);
    for file in files.iter().filter(|f| f.text.contains("createAuthClient")) {
        for declarator in nodes_of(file, &["variable_declarator"]) {
            let Some([name, value]) = fields(declarator, ["name", "value"]) else {
                continue;
            };
            if value.kind() == "call_expression" && callee_name(file, value) == "createAuthClient" {
                match name.kind() {
                    "identifier" => clients.push(file.node_text(name).to_owned()),
                    "object_pattern" => destructured.extend(pattern_names(file, name)),
                    _ => {}
                }
            }
        }
    }
    for file in &files {
        for declarator in nodes_of(file, &["variable_declarator"]) {
            let Some([name, value]) = fields(declarator, ["name", "value"]) else {
                continue;
            };
            if name.kind() == "object_pattern"
                && value.kind() == "identifier"
                && clients.iter().any(|c| c == file.node_text(value))
            {
                destructured.extend(pattern_names(file, name));
            }
        }
    }
    (clients, destructured)
}

/// The local names an object pattern binds for `forgetPassword` / `requestPasswordReset`.
fn pattern_names(file: &SourceFile, pattern: Node<'_>) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor = pattern.walk();
    for child in pattern.named_children(&mut cursor) {
        match child.kind() {
            "shorthand_property_identifier_pattern" if is_reset(file.node_text(child)) => {
                names.push(file.node_text(child).to_owned());
            }
            "pair_pattern" => {
                let key = child.child_by_field_name("key").map(|k| file.node_text(k));
                let value = child.child_by_field_name("value");
                if let (Some(key), Some(value)) = (key, value) {
                    if is_reset(key) && value.kind() == "identifier" {
                        names.push(file.node_text(value).to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    names
}

fn is_reset(name: &str) -> bool {
    matches!(name, "forgetPassword" | "requestPasswordReset")
}

fn reset_calls(ws: &Workspace, out: &mut Vec<Finding>) {
    let (clients, destructured) = client_bindings(ws);
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        if is_test_path(&file.rel)
            || !(file.text.contains("forgetPassword") || file.text.contains("requestPasswordReset"))
        {
            continue;
        }
        for call in nodes_of(&file, &["call_expression"]) {
            let Some(function) = call.child_by_field_name("function") else {
                continue;
            };
            let matched = match function.kind() {
                "member_expression" => {
                    let object = function
                        .child_by_field_name("object")
                        .map(|o| file.node_text(o))
                        .unwrap_or_default();
                    is_reset(callee_name(&file, call))
                        && (clients.iter().any(|c| c == object) || object.ends_with(".api"))
                }
                "identifier" => destructured.iter().any(|d| d == file.node_text(function)),
                _ => false,
            };
            if !matched {
                continue;
            }
            out.push(
                Finding::new(
                    ID,
                    &file,
                    function.byte_range(),
                    format!(
                        "`{}` asks for a password-reset email, but `emailAndPassword` has no `sendResetPassword`: Better Auth answers 400 RESET_PASSWORD_DISABLED (\"Reset password isn't enabled\")",
                        file.node_text(function)
                    ),
                )
                .help("add `emailAndPassword.sendResetPassword` that emails the reset link with your provider")
                .fix(Fix::display_only(
                    "add sendResetPassword: async ({ user, url }) => { /* send url to user.email */ } to emailAndPassword",
                    Vec::new(),
                )),
            );
        }
    }
}

// ----------------------------------------------------------------------------------------
// Resend / nodemailer without their env variables

/// Whether `object` (the `x` of `x.NAME`) is an environment object.
fn is_env_object(text: &str) -> bool {
    text == "env" || text.ends_with(".env")
}

/// Names of env variables read below `node` (`process.env.X`, `env.X`, `import.meta.env.X`,
/// `process.env["X"]`), following one identifier to its `const` in the same file.
fn env_reads(file: &SourceFile, node: Node<'_>, follow: bool) -> Vec<String> {
    let mut keys = Vec::new();
    for n in descendants(node) {
        match n.kind() {
            "member_expression" => {
                let object = n.child_by_field_name("object").map(|o| file.node_text(o));
                let property = n.child_by_field_name("property");
                if let (Some(object), Some(property)) = (object, property) {
                    if is_env_object(object) {
                        keys.push(file.node_text(property).to_owned());
                    }
                }
            }
            "subscript_expression" => {
                let object = n.child_by_field_name("object").map(|o| file.node_text(o));
                let index = n
                    .child_by_field_name("index")
                    .and_then(|i| string_value(file, i));
                if let (Some(object), Some(index)) = (object, index) {
                    if is_env_object(object) {
                        keys.push(index);
                    }
                }
            }
            "identifier" if follow && n == node => {
                let name = file.node_text(n);
                for declarator in nodes_of(file, &["variable_declarator"]) {
                    let bound = declarator
                        .child_by_field_name("name")
                        .is_some_and(|d| file.node_text(d) == name);
                    if let Some(value) = declarator.child_by_field_name("value").filter(|_| bound) {
                        keys.extend(env_reads(file, value, false));
                    }
                }
            }
            _ => {}
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The local name a file gives an import of `module` (`import { Resend as R } from "resend"`),
/// when it imports `name` from it.
fn imported_as(file: &SourceFile, module: &str, name: &str) -> Option<String> {
    for import in nodes_of(file, &["import_statement"]) {
        let from = import
            .child_by_field_name("source")
            .and_then(|s| string_value(file, s));
        if from.as_deref() != Some(module) {
            continue;
        }
        for specifier in descendants(import) {
            match specifier.kind() {
                "import_specifier" => {
                    let imported = specifier
                        .child_by_field_name("name")
                        .map(|n| file.node_text(n));
                    if imported == Some(name) {
                        let local = specifier
                            .child_by_field_name("alias")
                            .or_else(|| specifier.child_by_field_name("name"))?;
                        return Some(file.node_text(local).to_owned());
                    }
                }
                // `import nodemailer from "nodemailer"`
                "import_clause" => {
                    let mut cursor = specifier.walk();
                    if let Some(default) = specifier
                        .named_children(&mut cursor)
                        .find(|c| c.kind() == "identifier")
                    {
                        if name == "default" {
                            return Some(file.node_text(default).to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// Whether an env file (value file or template) lives in `dir` or a directory above it.
fn has_env_file_above(ws: &Workspace, dir: &str) -> bool {
    ws.env_files().iter().any(|env| {
        let env_dir = crate::discover::parent(env);
        env_dir.is_empty() || dir == env_dir || dir.starts_with(&format!("{env_dir}/"))
    })
}

fn mentioned_anywhere(ws: &Workspace, keys: &[String]) -> bool {
    let texts: Vec<Rc<SourceFile>> = facts::all_env_files(ws)
        .into_iter()
        .chain(facts::deploy_env_files(ws))
        .collect();
    keys.iter()
        .any(|key| texts.iter().any(|f| lang::env::mentions_word(&f.text, key)))
}

fn providers(ws: &Workspace, out: &mut Vec<Finding>) {
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        if is_test_path(&file.rel)
            || !(file.text.contains("resend") || file.text.contains("nodemailer"))
        {
            continue;
        }
        let imports = js_imports(&file);
        let resend = imports
            .iter()
            .any(|m| m == "resend")
            .then(|| imported_as(&file, "resend", "Resend"))
            .flatten();
        let nodemailer = imports.iter().any(|m| m == "nodemailer");
        if resend.is_none() && !nodemailer {
            continue;
        }
        let mut sites: Vec<(Node<'_>, Vec<String>, &str)> = Vec::new();
        if let Some(resend) = &resend {
            for new in nodes_of(&file, &["new_expression"]) {
                let constructor = new
                    .child_by_field_name("constructor")
                    .map(|c| file.node_text(c));
                if constructor != Some(resend.as_str()) {
                    continue;
                }
                let args = arguments(new);
                let keys = match args.first() {
                    None => vec!["RESEND_API_KEY".to_owned()],
                    Some(arg) => env_reads(&file, *arg, true),
                };
                sites.push((new, keys, "Resend"));
            }
        }
        if nodemailer {
            for call in nodes_of(&file, &["call_expression"]) {
                let function = callee(&file, call);
                if callee_name(&file, call) != "createTransport"
                    || !(function == "createTransport" || function.ends_with(".createTransport"))
                {
                    continue;
                }
                let keys: Vec<String> = arguments(call)
                    .into_iter()
                    .flat_map(|a| env_reads(&file, a, true))
                    .collect();
                let at = call.child_by_field_name("function").unwrap_or(call);
                sites.push((at, keys, "nodemailer"));
            }
        }
        for (node, keys, provider) in sites {
            // Hard-coded or built elsewhere: nothing to look up.
            if keys.is_empty()
                || !has_env_file_above(ws, file.dir())
                || mentioned_anywhere(ws, &keys)
            {
                continue;
            }
            let names = keys.join(", ");
            let consequence = if provider == "Resend" {
                "the SDK throws `Missing API key. Pass it to the constructor` and the auth emails (verification, password reset, sign-in links) never go out"
            } else {
                "sending fails with `Missing credentials for \"PLAIN\"` or `connect ECONNREFUSED` and the auth emails (verification, password reset, sign-in links) never go out"
            };
            out.push(
                Finding::new(
                    ID,
                    &file,
                    node.byte_range(),
                    format!("{provider} is set up with {names}, which no env file, env template or deploy config sets: {consequence}"),
                )
                .help(format!("add `{}=` to the env template (.env.example) and set the real value in .env and the deploy environment", keys[0]))
                .fix(Fix::display_only(
                    format!("document {names} in .env.example and set it where the server is deployed"),
                    Vec::new(),
                )),
            );
        }
    }
}

// ----------------------------------------------------------------------------------------
// The authgen-generated server

const PROVIDER_KEYS: &[&str] = &["RESEND_API_KEY", "SMTP_URL", "SMTP_HOST"];

fn authgen_server(ws: &Workspace, out: &mut Vec<Finding>) {
    let Some((answers, toml_file)) = facts::answers(ws) else {
        return;
    };
    let required = answers.email_verification == Some(EmailVerification::Required);
    let magic = answers
        .methods
        .as_ref()
        .is_some_and(|m| m.contains(&Method::MagicLink));
    if !(required || magic) {
        return;
    }
    let dirs = facts::authgen_server_dirs(ws);
    let Some(dir) = answers
        .auth_dir
        .as_deref()
        .map(|d| d.trim_matches('/').trim_start_matches("./"))
        .filter(|d| dirs.iter().any(|x| x == d))
    else {
        return;
    };
    // A server that reads no provider variable cannot send mail whatever the env says (authgen
    // records these answers before it generates the flows): asking for RESEND_API_KEY there
    // would be advice that changes nothing.
    if !server_reads_provider(ws, dir) {
        return;
    }
    let inside = |rel: &str| dir.is_empty() || rel.starts_with(&format!("{dir}/"));
    let texts: Vec<Rc<SourceFile>> = facts::all_env_files(ws)
        .into_iter()
        .chain(facts::deploy_env_files(ws))
        .filter(|f| inside(&f.rel))
        .collect();
    if texts.is_empty()
        || PROVIDER_KEYS
            .iter()
            .any(|key| texts.iter().any(|f| lang::env::mentions_word(&f.text, key)))
    {
        return;
    }
    let Ok(doc) = toml_edit::ImDocument::parse(toml_file.text.as_str()) else {
        return;
    };
    let mut report = |span: Option<std::ops::Range<usize>>, what: &str, consequence: &str| {
        let Some(span) = span else { return };
        out.push(
            Finding::new(
                ID,
                &toml_file,
                span,
                format!("{what}, but the auth server's env ({dir}/.env.example, production env, deploy config) names no email provider (RESEND_API_KEY, or SMTP_URL / SMTP_HOST): {consequence}"),
            )
            .help(format!("set RESEND_API_KEY or SMTP_URL for the production auth server and list it in {dir}/.env.example; or turn the flow off (`--email-verification off`)"))
            .fix(Fix::display_only(
                format!("add RESEND_API_KEY= (or SMTP_URL=) to {dir}/.env.example and set it in production"),
                Vec::new(),
            )),
        );
    };
    if required {
        report(
            doc.get("email_verification").and_then(|i| i.span()),
            "email verification is required (`email_verification = \"required\"`)",
            "in production no verification email is sent and new users can never sign in",
        );
    }
    if magic {
        let span = doc.get("methods").and_then(|m| m.as_array()).and_then(|a| {
            a.iter()
                .find(|v| v.as_str() == Some(Method::MagicLink.as_str()))
                .and_then(|v| v.span())
        });
        report(
            span,
            "magic-link sign-in is enabled (`methods` has \"magic-link\")",
            "in production no sign-in link is sent and those users cannot sign in",
        );
    }
}

/// Whether the server's Rust sources read `RESEND_API_KEY`, `SMTP_URL` or `SMTP_HOST`.
fn server_reads_provider(ws: &Workspace, dir: &str) -> bool {
    let src = if dir.is_empty() {
        "src/".to_owned()
    } else {
        format!("{dir}/src/")
    };
    ws.sources_in(&[Lang::Rust])
        .iter()
        .filter(|f| f.rel.starts_with(&src))
        .any(|file| {
            PROVIDER_KEYS.iter().any(|k| file.text.contains(k))
                && nodes_of(file, &["string_literal"]).into_iter().any(|n| {
                    string_value(file, n).is_some_and(|v| PROVIDER_KEYS.contains(&v.as_str()))
                })
        })
}
