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

/// One rule family. A check reads what it needs from the workspace (files are parsed once,
/// whichever check asks first) and pushes findings; it never writes.
pub trait Check {
    /// The stable id (`route-order`); the title, default severity and docs come from
    /// `diagnostics/<id>.md`.
    fn id(&self) -> &'static str;
    fn run(&self, ws: &Workspace, out: &mut Vec<Finding>) -> anyhow::Result<()>;
}

/// Every implemented check, in catalog order. The catalog (CHECKS.md, `diagnostics/`) has
/// twelve; the others are listed by `authgen doctor --list-checks` as not implemented yet.
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
    ]
}
