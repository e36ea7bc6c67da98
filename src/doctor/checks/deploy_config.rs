//! `deploy-config`: see diagnostics/deploy-config.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct DeployConfig;

impl Check for DeployConfig {
    fn id(&self) -> &'static str {
        "deploy-config"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
