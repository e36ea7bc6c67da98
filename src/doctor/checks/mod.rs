//! The check catalog: one file per check, ids as in CHECKS.md (a public interface).

use super::finding::Finding;
use super::workspace::Workspace;

mod cookie_flags;
mod cors_credentials;
mod deploy_config;
mod email_service;
mod env_file_committed;
mod env_secrets;
mod esm_module;
mod inet_column;
mod jwt_verification;
mod password_hashing;
mod route_order;
mod session_validation;

/// One rule family. A check reads what it needs from the workspace (files are parsed once,
/// whichever check asks first) and returns its findings; it never writes. A check has no
/// error to return: what it cannot read it does not judge (the workspace lists skipped
/// files), and a panic is reported as a crash by the runner.
pub trait Check {
    /// The stable id (`route-order`); the title, default severity and docs come from
    /// `diagnostics/<id>.md`.
    fn id(&self) -> &'static str;
    /// Push the findings on `ws` to `out`.
    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>);

    fn run(&self, ws: &Workspace) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check(ws, &mut out);
        out
    }
}

/// Every check, in catalog order (CHECKS.md, `diagnostics/`).
pub fn all() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(esm_module::EsmModule),
        Box::new(route_order::RouteOrder),
        Box::new(inet_column::InetColumn),
        Box::new(cookie_flags::CookieFlags),
        Box::new(env_secrets::EnvSecrets),
        Box::new(env_file_committed::EnvFileCommitted),
        Box::new(deploy_config::DeployConfig),
        Box::new(email_service::EmailService),
        Box::new(jwt_verification::JwtVerification),
        Box::new(password_hashing::PasswordHashing),
        Box::new(cors_credentials::CorsCredentials),
        Box::new(session_validation::SessionValidation),
    ]
}

/// For the checks' unit tests: a throwaway tree holding `files`, and what one check finds in
/// it (or would write with `--fix`).
#[cfg(test)]
pub(crate) mod testing {
    use crate::doctor::{Options, Report, fix};

    pub fn run(id: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Report) {
        let tmp = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let path = tmp.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let options = Options {
            only: vec![id.to_owned()],
        };
        let report = crate::doctor::run(tmp.path(), &options).unwrap();
        (tmp, report)
    }

    /// `run` on a repository with a generated server in `auth-server/` (its manifest, with
    /// the Better Auth face's session cookie when `better_auth`) and `files`; the findings'
    /// messages.
    pub fn generated_server(id: &str, better_auth: bool, files: &[(&str, &str)]) -> Vec<String> {
        let cookie = if better_auth {
            "session_cookie = \"better-auth.session_token\"\n"
        } else {
            ""
        };
        let manifest = format!(
            "auth_dir = \"auth-server\"\n\n[server]\nalgorithm = \"eddsa\"\nport = 4000\nbase_path = \"/api/auth\"\naudience = \"app-api\"\naccess_cookie = \"auth_access_token\"\nrefresh_cookie = \"auth_refresh_token\"\n{cookie}"
        );
        let mut all = vec![
            (".authgen/manifest.toml", manifest.as_str()),
            (
                "auth-server/Cargo.toml",
                "[package]\nname = \"auth-server\"\n",
            ),
        ];
        all.extend_from_slice(files);
        let (_tmp, report) = run(id, &all);
        report.findings().map(|f| f.message.clone()).collect()
    }

    /// Each file `--fix` (with `unsafe_fixes`, `--unsafe-fixes` too) would change, and its text.
    pub fn fixed(id: &str, files: &[(&str, &str)], unsafe_fixes: bool) -> Vec<(String, String)> {
        let (tmp, report) = run(id, files);
        let plan = fix::plan(tmp.path(), report.findings(), unsafe_fixes);
        plan.changes.into_iter().map(|c| (c.file, c.new)).collect()
    }
}

#[cfg(test)]
mod tests {
    /// The registry and the catalog (`diagnostics/<id>.md`) list the same checks: a check
    /// without a document, or a document nothing checks, fails here.
    #[test]
    fn every_catalog_check_is_registered_once() {
        let mut registered: Vec<&str> = super::all().iter().map(|c| c.id()).collect();
        registered.sort_unstable();
        let docs = crate::diagnostics::all().unwrap();
        let mut catalog: Vec<&str> = docs.iter().map(|d| d.meta.id.as_str()).collect();
        catalog.sort_unstable();
        assert_eq!(registered, catalog);
    }
}
