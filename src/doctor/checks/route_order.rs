//! `route-order`: see diagnostics/route-order.md.

use crate::doctor::finding::Finding;
use crate::doctor::workspace::Workspace;

use super::Check;

pub struct RouteOrder;

impl Check for RouteOrder {
    fn id(&self) -> &'static str {
        "route-order"
    }

    fn run(&self, _ws: &Workspace, _out: &mut Vec<Finding>) -> anyhow::Result<()> {
        Ok(())
    }
}
