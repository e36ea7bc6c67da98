//! `session-validation`: see diagnostics/session-validation.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct SessionValidation;

impl Check for SessionValidation {
    fn id(&self) -> &'static str {
        "session-validation"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
