//! Extraction: each language module turns files into what checks judge. This module holds
//! what every tree-sitter language shares: walking, string literals, calls and arguments,
//! statements, and which files are tests.

pub mod docker;
pub mod env;
pub mod js;
pub mod python;
pub mod rust;
pub mod sql;
pub mod toml;
pub mod yaml;

use tree_sitter::Node;

use super::workspace::SourceFile;

/// Every node below (and including) `node`, in document order.
pub fn descendants(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(next) = stack.pop() {
        out.push(next);
        let children: Vec<Node<'_>> = next.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// Nodes of one of `kinds` in the file, in document order.
pub fn nodes_of<'t>(file: &'t SourceFile, kinds: &[&str]) -> Vec<Node<'t>> {
    let Some(tree) = file.tree() else {
        return Vec::new();
    };
    descendants(tree.root_node())
        .into_iter()
        .filter(|n| kinds.contains(&n.kind()))
        .collect()
}

/// The value of a string literal without quotes, when it has no interpolation:
/// Python `string`, JS/TS `string` and plain `template_string`, Rust `string_literal` and
/// `raw_string_literal`, JSON `string`.
pub fn string_value(file: &SourceFile, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "string" | "template_string" | "string_literal" | "raw_string_literal" => {}
        _ => return None,
    }
    let mut value = String::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "string_content" | "string_fragment" => value.push_str(file.node_text(child)),
            "escape_sequence" => value.push_str(&unescape(file.node_text(child))),
            "string_start" | "string_end" => {}
            _ => return None, // interpolation, f-string field, template substitution
        }
    }
    if node.kind() == "string" && file.lang == super::workspace::Lang::Python {
        let start = node.child(0).map(|c| file.node_text(c)).unwrap_or_default();
        if start.contains(['f', 'F']) && value.contains('{') {
            return None;
        }
    }
    Some(value)
}

fn unescape(seq: &str) -> String {
    match seq {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\\"" => "\"".into(),
        "\\'" => "'".into(),
        "\\\\" => "\\".into(),
        "\\/" => "/".into(),
        other => other.to_owned(),
    }
}

/// The callee of a `call` (Python) / `call_expression` (JS, Rust) as written, e.g.
/// `jwt.decode`, `app.use`, `Validation::new`.
pub fn callee<'f>(file: &'f SourceFile, call: Node<'_>) -> &'f str {
    call.child_by_field_name("function")
        .map(|f| file.node_text(f))
        .unwrap_or_default()
}

/// The last segment of the callee: `decode` for `jwt.decode`, `new` for `Validation::new`.
pub fn callee_name<'f>(file: &'f SourceFile, call: Node<'_>) -> &'f str {
    let function = callee(file, call);
    let function = function.split('<').next().unwrap_or(function);
    function
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(function)
        .trim()
}

/// The argument nodes of a call, comments skipped.
pub fn arguments(call: Node<'_>) -> Vec<Node<'_>> {
    let Some(args) = call.child_by_field_name("arguments") else {
        return Vec::new();
    };
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// Whether any node below `node` is an identifier (or attribute/member name) satisfying `f`.
pub fn mentions(file: &SourceFile, node: Node<'_>, f: impl Fn(&str) -> bool) -> bool {
    descendants(node).into_iter().any(|n| {
        matches!(
            n.kind(),
            "identifier"
                | "property_identifier"
                | "field_identifier"
                | "shorthand_property_identifier"
        ) && f(file.node_text(n))
    })
}

/// The statement-level ancestor of `node` whose parent is `container` kind (e.g. the
/// `expression_statement` directly inside a `program` or `statement_block`).
pub fn statement_of(node: Node<'_>) -> Option<Node<'_>> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(
            parent.kind(),
            "program" | "statement_block" | "module" | "block" | "source_file" | "function_body"
        ) {
            return Some(current);
        }
        current = parent;
    }
    None
}

/// Whether `rel` is a test file or lives in a test directory (`tests/`, `test/`,
/// `__tests__/`, `test_*.py`, `*_test.py`, `conftest.py`, `*.test.ts`, `*.spec.js`, ...).
pub fn is_test_path(rel: &str) -> bool {
    let mut parts = rel.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            let stem = part.split('.').next().unwrap_or(part);
            return part.starts_with("test_")
                || part.starts_with("test-")
                || stem == "test"
                || stem.ends_with("_test")
                || stem.ends_with("_tests")
                || stem.ends_with("-test")
                || part == "conftest.py"
                || part.contains(".test.")
                || part.contains(".spec.");
        }
        if matches!(
            part,
            "tests"
                | "test"
                | "__tests__"
                | "__mocks__"
                | "testing"
                | "e2e"
                | "spec"
                | "test-utils"
                | "test_utils"
                | "testutils"
                | "test-helpers"
                | "test_helpers"
                | "cypress"
                | "playwright"
        ) {
            return true;
        }
    }
    false
}

/// Whether `rel` is not the application's own code or configuration: agent skill and prompt
/// folders (`.claude/`, `.specify/`, `.gemini/`, `.qwen/`, `.cursor/`), scaffolding
/// `templates/`, docs, spec folders, test files and fixtures. A dummy secret there is not a
/// leak.
pub fn is_outside_app(rel: &str) -> bool {
    let mut dirs = rel.split('/').rev().skip(1);
    is_test_path(rel)
        || dirs.any(|dir| {
            matches!(
                dir,
                ".claude"
                    | ".specify"
                    | ".gemini"
                    | ".qwen"
                    | ".cursor"
                    | "templates"
                    | "template"
                    | "docs"
                    | "doc"
                    | "specs"
                    | "fixtures"
                    | "__fixtures__"
                    | "testdata"
            )
        })
}

/// The origin (`https://auth.example.com`) of an absolute http(s)-like URL as configs write
/// it; `None` for relative paths and URLs without a host.
pub fn origin(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.host_str()?;
    Some(url.origin().ascii_serialization()).filter(|o| o != "null")
}

/// The children of `node` in the named fields, all present: `fields(assign, ["left", "right"])`.
pub fn fields<'t, const N: usize>(node: Node<'t>, names: [&str; N]) -> Option<[Node<'t>; N]> {
    let mut found = [node; N];
    for (slot, name) in found.iter_mut().zip(names) {
        *slot = node.child_by_field_name(name)?;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        assert!(is_test_path("backend/tests/test_auth.py"));
        assert!(is_test_path("api/conftest.py"));
        assert!(is_test_path("web/src/auth.test.ts"));
        assert!(is_test_path("crates/api/src/routes_test.rs"));
        assert!(is_test_path(
            "packages/core/src/test-utils/test-instance.ts"
        ));
        assert!(!is_test_path("backend/app/auth/verifier.py"));
        assert!(!is_test_path("backend/app/latest.py"));
    }

    #[test]
    fn paths_outside_the_app() {
        for rel in [
            ".claude/skills/auth/SKILL.md",
            ".specify/templates/plan.ts",
            "docs/setup/.env",
            "specs/001-auth/config.py",
            "tests/fixtures/.env",
            "api/tests/test_auth.py",
            "web/src/auth.test.ts",
        ] {
            assert!(is_outside_app(rel), "{rel}");
        }
        for rel in [
            "server/src/auth.ts",
            "api/app/config.py",
            ".env",
            "documents.py",
        ] {
            assert!(!is_outside_app(rel), "{rel}");
        }
    }
}
