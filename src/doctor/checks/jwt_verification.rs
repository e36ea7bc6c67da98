//! `jwt-verification`: see diagnostics/jwt-verification.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct JwtVerification;

impl Check for JwtVerification {
    fn id(&self) -> &'static str {
        "jwt-verification"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
