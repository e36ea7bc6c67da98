//! Rust: method chains (`Router::new().route(..).layer(..)`) and test code.

use tree_sitter::Node;

use super::{arguments, callee, fields, nodes_of, string_value};

use std::rc::Rc;

use crate::doctor::facts::EnvFallback;
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
    nodes_of(file, &["call_expression"])
        .into_iter()
        .filter_map(|call| Some((env_read_key(file, call)?, call.byte_range())))
        .collect()
}

/// The variable `call` reads when it is `env::var("X")` (or `std::env::var`, `dotenvy::var`).
fn env_read_key(file: &SourceFile, call: Node<'_>) -> Option<String> {
    if call.kind() != "call_expression"
        || !matches!(
            callee(file, call),
            "env::var" | "std::env::var" | "var" | "dotenvy::var"
        )
    {
        return None;
    }
    arguments(call).first().and_then(|a| string_value(file, *a))
}

/// The non-empty string literal an `unwrap_or` argument is made of: `"…"`, `"…".into()`,
/// `"…".to_string()`, `"…".to_owned()`, `String::from("…")`, or a closure returning one.
fn literal_string<'t>(file: &SourceFile, node: Node<'t>) -> Option<Node<'t>> {
    let node = match node.kind() {
        "closure_expression" => node.child_by_field_name("body")?,
        _ => node,
    };
    let literal = match node.kind() {
        "string_literal" | "raw_string_literal" => node,
        "call_expression" if callee(file, node) == "String::from" => *arguments(node).first()?,
        "call_expression" => {
            let function = node.child_by_field_name("function")?;
            let [value, method] = fields(function, ["value", "field"])?;
            if !matches!(file.node_text(method), "into" | "to_string" | "to_owned") {
                return None;
            }
            value
        }
        _ => return None,
    };
    string_value(file, literal)
        .filter(|v| !v.is_empty())
        .map(|_| literal)
}

/// `env::var("X").unwrap_or("…".into())` and `.unwrap_or_else(|_| "…".into())` for a
/// signing secret. Removing the fallback keeps a `String`: `.expect("X is not set")`.
/// (`unwrap_or_default()` falls back to an empty secret, which is not a literal.)
pub fn env_fallbacks(file: &Rc<SourceFile>) -> Vec<EnvFallback> {
    let mut out = Vec::new();
    for call in nodes_of(file, &["call_expression"]) {
        let Some(function) = call
            .child_by_field_name("function")
            .filter(|f| f.kind() == "field_expression")
        else {
            continue;
        };
        let Some([read, method]) = fields(function, ["value", "field"]) else {
            continue;
        };
        if !matches!(file.node_text(method), "unwrap_or" | "unwrap_or_else") {
            continue;
        }
        let Some(key) = env_read_key(file, read) else {
            continue;
        };
        let Some(literal) = arguments(call)
            .first()
            .and_then(|a| literal_string(file, *a))
        else {
            continue;
        };
        if crate::secret::is_signing_secret_name(&key) {
            out.push(EnvFallback {
                file: file.clone(),
                removal: Some((
                    read.end_byte()..call.end_byte(),
                    format!(".expect(\"{key} is not set\")"),
                )),
                key,
                read: read.byte_range(),
                literal: literal.byte_range(),
            });
        }
    }
    out
}
