//! Rust: method chains (`Router::new().route(..).layer(..)`) and test code.

use tree_sitter::Node;

use super::{arguments, callee, fields, nodes_of, string_value};

use crate::doctor::workspace::SourceFile;

/// One `.method(args)` of a Rust method chain, from the root outwards.
pub struct Link<'t> {
    pub call: Node<'t>,
    /// The receiver expression (`Router::new()`, or the chain so far).
    pub value: Node<'t>,
    /// The `.` before the method name.
    pub dot: Node<'t>,
    pub method: String,
    pub args: Vec<Node<'t>>,
}

/// The chain that `top` ends: `Router::new().route(..).layer(..)` → root `Router::new()` and
/// the links in order.
pub fn rust_chain<'t>(file: &SourceFile, top: Node<'t>) -> (Node<'t>, Vec<Link<'t>>) {
    let mut links = Vec::new();
    let mut node = top;
    while let Some(function) = node
        .child_by_field_name("function")
        .filter(|f| node.kind() == "call_expression" && f.kind() == "field_expression")
    {
        let Some([value, field]) = fields(function, ["value", "field"]) else {
            break;
        };
        let mut cursor = function.walk();
        let Some(dot) = function.children(&mut cursor).find(|c| c.kind() == ".") else {
            break;
        };
        links.push(Link {
            call: node,
            value,
            dot,
            method: file.node_text(field).to_owned(),
            args: super::arguments(node),
        });
        node = value;
    }
    links.reverse();
    (node, links)
}

/// Whether `call` is the outermost call of its method chain.
pub fn is_chain_top(call: Node<'_>) -> bool {
    !call.parent().is_some_and(|p| {
        p.kind() == "field_expression"
            && p.child_by_field_name("value")
                .is_some_and(|v| v.id() == call.id())
    })
}

/// Whether a Rust node sits in a `#[cfg(test)]` module or a `#[test]` / `#[tokio::test]`
/// function.
pub fn in_rust_test(file: &SourceFile, node: Node<'_>) -> bool {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(parent.kind(), "mod_item" | "function_item") {
            let mut sibling = parent.prev_named_sibling();
            while let Some(attr) = sibling.filter(|s| s.kind() == "attribute_item") {
                let text = file.node_text(attr);
                if text.contains("cfg(test)") || text.ends_with("test]") {
                    return true;
                }
                sibling = attr.prev_named_sibling();
            }
        }
        current = parent;
    }
    false
}

/// Env variables read by name: `env::var("X")`, `std::env::var`, `dotenvy::var`.
pub fn env_reads(file: &SourceFile) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for call in nodes_of(file, &["call_expression"]) {
        if !matches!(
            callee(file, call),
            "env::var" | "std::env::var" | "var" | "dotenvy::var"
        ) {
            continue;
        }
        if let Some(key) = arguments(call).first().and_then(|a| string_value(file, *a)) {
            out.push((key, call.byte_range()));
        }
    }
    out
}
