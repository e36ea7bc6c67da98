//! Facts several checks share: the recorded `authgen.toml` answers and where Better Auth is
//! configured. Computed from the workspace's cached files, so asking twice costs nothing.

use std::rc::Rc;

use tree_sitter::Node;

use crate::configure::Answers;

use super::syntax::{arguments, callee, nodes_of};
use super::workspace::{Lang, SourceFile, Workspace};

/// `authgen.toml` at the root, when it exists and parses.
pub fn answers(ws: &Workspace) -> Option<(Answers, Rc<SourceFile>)> {
    let file = ws.source("authgen.toml")?;
    let answers = toml::from_str::<Answers>(&file.text).ok()?;
    Some((answers, file))
}

/// A `betterAuth({...})` call's options object.
pub struct BetterAuthConfig {
    pub file: Rc<SourceFile>,
    /// Byte range of the options object literal.
    pub object: std::ops::Range<usize>,
}

impl BetterAuthConfig {
    pub fn node(&self) -> Option<Node<'_>> {
        let tree = self.file.tree()?;
        tree.root_node()
            .descendant_for_byte_range(self.object.start, self.object.end)
            .filter(|n| n.kind() == "object")
    }
}

/// Every `betterAuth({...})` options object in JS/TS sources.
pub fn better_auth_configs(ws: &Workspace) -> Vec<BetterAuthConfig> {
    let mut configs = Vec::new();
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        if !file.text.contains("betterAuth") {
            continue;
        }
        for call in nodes_of(&file, &["call_expression"]) {
            if callee(&file, call) != "betterAuth" {
                continue;
            }
            if let Some(object) = arguments(call).into_iter().find(|a| a.kind() == "object") {
                configs.push(BetterAuthConfig {
                    object: object.byte_range(),
                    file: file.clone(),
                });
            }
        }
    }
    configs
}

/// Env files with real values (not templates), with their sources.
pub fn value_env_files(ws: &Workspace) -> Vec<Rc<SourceFile>> {
    ws.env_files()
        .iter()
        .filter(|f| !super::workspace::is_env_template(crate::discover::file_name(f)))
        .filter_map(|f| ws.source(f))
        .collect()
}

/// Every env file, templates included.
pub fn all_env_files(ws: &Workspace) -> Vec<Rc<SourceFile>> {
    ws.env_files().iter().filter_map(|f| ws.source(f)).collect()
}
