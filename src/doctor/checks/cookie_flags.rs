//! `cookie-flags`: see diagnostics/cookie-flags.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct CookieFlags;

impl Check for CookieFlags {
    fn id(&self) -> &'static str {
        "cookie-flags"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
