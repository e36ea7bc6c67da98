//! `esm-module`: see diagnostics/esm-module.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct EsmModule;

impl Check for EsmModule {
    fn id(&self) -> &'static str {
        "esm-module"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
