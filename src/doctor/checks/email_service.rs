//! `email-service`: see diagnostics/email-service.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct EmailService;

impl Check for EmailService {
    fn id(&self) -> &'static str {
        "email-service"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
