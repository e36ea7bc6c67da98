//! What the generated auth server issues by default, recorded in `.authgen/manifest.toml` so
//! the doctor compares verifiers against facts rather than reading the generated code. The
//! one place these values are named on the Rust side; the test below holds the templates to
//! them.

use crate::configure::{AuthConfig, Face};
use crate::manifest::ServerFacts;

/// The cookie the generated server keeps the access token in.
pub const ACCESS_COOKIE: &str = "auth_access_token";
/// The cookie the generated server keeps the refresh token in.
pub const REFRESH_COOKIE: &str = "auth_refresh_token";
/// The same cookies with `APP_ENV=production`: prefixed, so browsers refuse them unless
/// Secure (and, for `__Host-`, host-only with `Path=/`).
pub const PRODUCTION_ACCESS_COOKIE: &str = "__Host-auth_access_token";
pub const PRODUCTION_REFRESH_COOKIE: &str = "__Secure-auth_refresh_token";
/// Better Auth's session cookie, which the Better Auth face sets (`__Secure-` prefixed when
/// cookies are Secure).
pub const SESSION_COOKIE: &str = "better-auth.session_token";

/// The facts of the server generated for `project_name` with `config`.
pub fn server_facts(project_name: &str, config: &AuthConfig) -> ServerFacts {
    ServerFacts {
        algorithm: config.algorithm.to_string(),
        port: config.port,
        base_path: config.base_path.clone(),
        audience: format!("{project_name}-api"),
        access_cookie: ACCESS_COOKIE.to_owned(),
        refresh_cookie: REFRESH_COOKIE.to_owned(),
        production_access_cookie: Some(PRODUCTION_ACCESS_COOKIE.to_owned()),
        production_refresh_cookie: Some(PRODUCTION_REFRESH_COOKIE.to_owned()),
        session_cookie: config
            .faces
            .contains(&Face::BetterAuth)
            .then(|| SESSION_COOKIE.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Templates;

    /// The templates render exactly the values the manifest records: a template that renames
    /// a cookie or changes a default without this module fails here, not in a user's doctor.
    #[test]
    fn the_templates_issue_what_the_manifest_records() {
        let templates = Templates::load(None).unwrap();
        let face = templates
            .get("auth-server/src/better_auth/cookies.rs.tera")
            .unwrap();
        assert!(face.contains(&format!(
            "pub(super) const SESSION_TOKEN: &str = \"{SESSION_COOKIE}\";"
        )));
        assert!(face.contains("format!(\"__Secure-{name}\")"));
        let config = templates.get("auth-server/src/config.rs.tera").unwrap();
        for (function, production, development) in [
            ("access_cookie", PRODUCTION_ACCESS_COOKIE, ACCESS_COOKIE),
            ("refresh_cookie", PRODUCTION_REFRESH_COOKIE, REFRESH_COOKIE),
        ] {
            let body = format!(
                "pub fn {function}(&self) -> &'static str {{\n        if self.production {{\n            \"{production}\"\n        }} else {{\n            \"{development}\"\n        }}\n    }}"
            );
            assert!(config.contains(&body), "{body}");
        }
        // `{project_name}-api`, `config.base_path` and `http://localhost:{port}`.
        assert!(config.contains("const DEFAULT_AUDIENCE: &str = \"{{ project.name }}-api\";"));
        assert!(config.contains(
            "audience: var(\"AUTH_AUDIENCE\").unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned())"
        ));
        assert!(config.contains(
            "base_path: var(\"AUTH_BASE_PATH\").unwrap_or_else(|| \"{{ config.base_path }}\".to_owned())"
        ));
        assert!(config.contains(
            "var(\"AUTH_ISSUER\").unwrap_or_else(|| format!(\"http://localhost:{port}\"))"
        ));
    }
}
