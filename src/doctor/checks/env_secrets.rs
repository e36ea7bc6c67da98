//! `env-secrets`: see diagnostics/env-secrets.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct EnvSecrets;

impl Check for EnvSecrets {
    fn id(&self) -> &'static str {
        "env-secrets"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
