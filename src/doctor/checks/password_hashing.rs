//! `password-hashing`: see diagnostics/password-hashing.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct PasswordHashing;

impl Check for PasswordHashing {
    fn id(&self) -> &'static str {
        "password-hashing"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
