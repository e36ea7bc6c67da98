//! `cors-credentials`: see diagnostics/cors-credentials.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct CorsCredentials;

impl Check for CorsCredentials {
    fn id(&self) -> &'static str {
        "cors-credentials"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
