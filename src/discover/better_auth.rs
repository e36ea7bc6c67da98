//! What a Better Auth server's `betterAuth({...})` call says, read statically: the sign-in
//! methods, `basePath`, `trustedOrigins`, where the secret comes from, the plugins, and the
//! options a take-over cannot honour (a custom cookie prefix, renamed tables). What cannot be
//! read (a value computed at run time) stays `None`, and the configuration asks or defaults.

use std::collections::BTreeMap;

use serde::Serialize;
use tree_sitter::Node;

use super::inventory::Inventory;
use crate::doctor::lang::js::{js_bool, property, property_path};
use crate::doctor::lang::{callee, descendants, nodes_of, string_value};
use crate::doctor::workspace::{Lang, SourceFile};

/// The options of the `betterAuth({...})` call found under the server's directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BetterAuthOptions {
    /// The file holding the call, relative to the repository root.
    pub file: String,
    pub email_and_password: bool,
    pub require_email_verification: bool,
    /// `socialProviders` keys, e.g. `google`, `github`.
    pub social_providers: Vec<String>,
    /// Plugin calls in `plugins: [...]`, e.g. `jwt`, `magicLink`, `bearer`.
    pub plugins: Vec<String>,
    pub base_path: Option<String>,
    pub trusted_origins: Vec<String>,
    /// The variable `secret` is read from (`process.env.X`); Better Auth's default
    /// `BETTER_AUTH_SECRET` when the option is absent.
    pub secret_env: Option<String>,
    /// Tables renamed with `<model>: { modelName: "..." }` (model → table), for the import.
    pub tables: BTreeMap<String, String>,
    /// Options the generated server does not reproduce, as `path: value`.
    pub unsupported: Vec<String>,
}

/// The first `betterAuth({...})` call in the JS/TS sources under `dir`.
pub fn read_options(
    inv: &Inventory,
    dir: &str,
    warnings: &mut Vec<String>,
) -> Option<BetterAuthOptions> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    for rel in inv.files.iter().filter(|f| f.starts_with(&prefix)) {
        let is_source = matches!(
            Lang::of(rel),
            Lang::TypeScript | Lang::Tsx | Lang::JavaScript
        );
        if !is_source || rel.contains("node_modules/") {
            continue;
        }
        let Some(text) = inv.read_text(rel, warnings) else {
            continue;
        };
        if !text.contains("betterAuth") {
            continue;
        }
        let file = SourceFile::new(rel.clone(), text);
        if let Some(options) = options_in(&file) {
            return Some(options);
        }
    }
    None
}

fn options_in(file: &SourceFile) -> Option<BetterAuthOptions> {
    let call = nodes_of(file, &["call_expression"])
        .into_iter()
        .find(|call| callee(file, *call) == "betterAuth")?;
    let object = call
        .child_by_field_name("arguments")
        .and_then(|args| args.named_child(0))
        .filter(|arg| arg.kind() == "object")?;
    let text = |node: Node<'_>| string_value(file, node);
    let flag = |path: &[&str]| property_path(file, object, path).and_then(js_bool);
    let mut options = BetterAuthOptions {
        file: file.rel.clone(),
        email_and_password: flag(&["emailAndPassword", "enabled"]).unwrap_or(false),
        require_email_verification: flag(&["emailAndPassword", "requireEmailVerification"])
            .unwrap_or(false),
        base_path: property(file, object, "basePath").and_then(text),
        ..BetterAuthOptions::default()
    };
    if let Some(social) = property(file, object, "socialProviders") {
        let mut cursor = social.walk();
        for pair in social.named_children(&mut cursor) {
            if let Some(key) = pair.child_by_field_name("key") {
                options
                    .social_providers
                    .push(crate::doctor::lang::js::property_key(file, key));
            }
        }
    }
    if let Some(plugins) = property(file, object, "plugins") {
        options.plugins = descendants(plugins)
            .into_iter()
            .filter(|n| n.kind() == "call_expression")
            .filter(|call| call.parent().is_some_and(|p| p.id() == plugins.id()))
            .map(|call| callee(file, call).to_owned())
            .collect();
    }
    if let Some(origins) = property(file, object, "trustedOrigins") {
        let mut cursor = origins.walk();
        options.trusted_origins = origins
            .named_children(&mut cursor)
            .filter_map(text)
            .collect();
    }
    options.secret_env = match property(file, object, "secret") {
        None => Some("BETTER_AUTH_SECRET".to_owned()),
        Some(value) => env_name(file, value),
    };
    if let Some(prefix) = property_path(file, object, &["advanced", "cookiePrefix"]) {
        options
            .unsupported
            .push(format!("advanced.cookiePrefix: {}", file.node_text(prefix)));
    }
    for model in ["user", "session", "account", "verification"] {
        if let Some(name) = property_path(file, object, &[model, "modelName"]) {
            match text(name).filter(|n| is_table_name(n)) {
                Some(table) => {
                    options.tables.insert(model.to_owned(), table);
                }
                None => options
                    .unsupported
                    .push(format!("{model}.modelName: {}", file.node_text(name))),
            }
        }
        if let Some(fields) = property_path(file, object, &[model, "fields"]) {
            options
                .unsupported
                .push(format!("{model}.fields: {}", file.node_text(fields)));
        }
    }
    Some(options)
}

/// A plain SQL identifier, safe to quote into the import's statements.
fn is_table_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit()
}

/// `X` of `process.env.X` (or `process.env["X"]`), possibly behind `as string` or `!`.
fn env_name(file: &SourceFile, value: Node<'_>) -> Option<String> {
    let member = descendants(value).into_iter().find(|n| {
        matches!(n.kind(), "member_expression" | "subscript_expression")
            && file.node_text(*n).starts_with("process.env")
    })?;
    let name = member
        .child_by_field_name("property")
        .or_else(|| member.child_by_field_name("index"))?;
    string_value(file, name).or_else(|| Some(file.node_text(name).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<BetterAuthOptions> {
        options_in(&SourceFile::new("server/src/auth.ts", text.to_owned()))
    }

    #[test]
    fn the_options_a_take_over_needs_are_read() {
        let options = read(
            r#"
            import { betterAuth } from "better-auth";
            export const auth = betterAuth({
              database: pool,
              secret: process.env.AUTH_SIGNING_SECRET as string,
              basePath: "/auth",
              trustedOrigins: ["https://app.example.com", "http://localhost:3000"],
              emailAndPassword: { enabled: true, requireEmailVerification: true },
              socialProviders: { google: { clientId: "x" }, "github": { clientId: "y" } },
              advanced: { cookiePrefix: "myapp" },
              plugins: [jwt(), magicLink({ sendMagicLink: async () => { await send(x()); } })],
            });
            "#,
        )
        .unwrap();
        assert_eq!(
            options,
            BetterAuthOptions {
                file: "server/src/auth.ts".into(),
                email_and_password: true,
                require_email_verification: true,
                social_providers: vec!["google".into(), "github".into()],
                plugins: vec!["jwt".into(), "magicLink".into()],
                base_path: Some("/auth".into()),
                trusted_origins: vec![
                    "https://app.example.com".into(),
                    "http://localhost:3000".into()
                ],
                secret_env: Some("AUTH_SIGNING_SECRET".into()),
                tables: BTreeMap::new(),
                unsupported: vec!["advanced.cookiePrefix: \"myapp\"".into()],
            }
        );
    }

    #[test]
    fn renamed_tables_are_read_and_renamed_fields_reported() {
        let options = read(
            r#"betterAuth({
              user: { modelName: "users", fields: { emailVerified: "email_verified" } },
              session: { modelName: "auth_sessions" },
              account: { modelName: tableName("account") },
              verification: { modelName: "bad name; drop table x" },
            })"#,
        )
        .unwrap();
        assert_eq!(
            options.tables,
            BTreeMap::from([
                ("session".to_owned(), "auth_sessions".to_owned()),
                ("user".to_owned(), "users".to_owned()),
            ])
        );
        assert_eq!(
            options.unsupported,
            [
                "user.fields: { emailVerified: \"email_verified\" }",
                "account.modelName: tableName(\"account\")",
                "verification.modelName: \"bad name; drop table x\"",
            ]
        );
    }

    #[test]
    fn defaults_are_better_auths() {
        let options = read("const auth = betterAuth({ database: pool });").unwrap();
        assert!(!options.email_and_password);
        assert_eq!(options.secret_env.as_deref(), Some("BETTER_AUTH_SECRET"));
        assert_eq!(options.base_path, None);
        // A secret computed at run time cannot be read.
        let computed = read("betterAuth({ secret: loadSecret() })").unwrap();
        assert_eq!(computed.secret_env, None);
        assert_eq!(read("const x = other({})"), None);
    }
}
