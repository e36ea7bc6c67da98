//! `env-file-committed`: see diagnostics/env-file-committed.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct EnvFileCommitted;

impl Check for EnvFileCommitted {
    fn id(&self) -> &'static str {
        "env-file-committed"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
