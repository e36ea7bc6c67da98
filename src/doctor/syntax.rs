//! Small helpers over tree-sitter trees shared by the checks: walking, string literals,
//! call arguments and object properties in Python, JavaScript/TypeScript, Rust and JSON.

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

/// Positional arguments of a Python call.
pub fn py_positional(call: Node<'_>) -> Vec<Node<'_>> {
    arguments(call)
        .into_iter()
        .filter(|n| n.kind() != "keyword_argument")
        .collect()
}

/// The value of the Python keyword argument `name=` of a call.
pub fn py_keyword<'t>(file: &SourceFile, call: Node<'t>, name: &str) -> Option<Node<'t>> {
    arguments(call).into_iter().find_map(|arg| {
        (arg.kind() == "keyword_argument"
            && arg
                .child_by_field_name("name")
                .is_some_and(|n| file.node_text(n) == name))
        .then(|| arg.child_by_field_name("value"))
        .flatten()
    })
}

/// The whole `name=value` keyword argument node of a Python call.
pub fn py_keyword_arg<'t>(file: &SourceFile, call: Node<'t>, name: &str) -> Option<Node<'t>> {
    arguments(call).into_iter().find(|arg| {
        arg.kind() == "keyword_argument"
            && arg
                .child_by_field_name("name")
                .is_some_and(|n| file.node_text(n) == name)
    })
}

/// Python `True` / `False`.
pub fn py_bool(file: &SourceFile, node: Node<'_>) -> Option<bool> {
    match (node.kind(), file.node_text(node)) {
        ("true", _) | (_, "True") => Some(true),
        ("false", _) | (_, "False") => Some(false),
        _ => None,
    }
}

/// The value node of property `key` of a JS/TS object literal (or a JSON object).
#[allow(clippy::let_and_return)] // the binding ends the cursor borrow before return
pub fn property<'t>(file: &SourceFile, object: Node<'t>, key: &str) -> Option<Node<'t>> {
    let mut cursor = object.walk();
    let found = object
        .named_children(&mut cursor)
        .find_map(|pair| match pair.kind() {
            "pair" => {
                let k = pair.child_by_field_name("key")?;
                (property_key(file, k) == key)
                    .then(|| pair.child_by_field_name("value"))
                    .flatten()
            }
            // `{ secret }` shorthand: the value is the identifier itself.
            "shorthand_property_identifier" if file.node_text(pair) == key => Some(pair),
            _ => None,
        });
    found
}

/// The `pair` node of property `key`.
#[allow(clippy::let_and_return)] // the binding ends the cursor borrow before return
pub fn property_pair<'t>(file: &SourceFile, object: Node<'t>, key: &str) -> Option<Node<'t>> {
    let mut cursor = object.walk();
    let found = object.named_children(&mut cursor).find(|pair| {
        pair.kind() == "pair"
            && pair
                .child_by_field_name("key")
                .is_some_and(|k| property_key(file, k) == key)
    });
    found
}

/// The key of a pair as a plain name: `a`, `"a"` and `'a'` are all `a`.
pub fn property_key(file: &SourceFile, key: Node<'_>) -> String {
    string_value(file, key).unwrap_or_else(|| file.node_text(key).to_owned())
}

/// Follow a path of nested object properties: `["advanced", "defaultCookieAttributes"]`.
pub fn property_path<'t>(file: &SourceFile, object: Node<'t>, path: &[&str]) -> Option<Node<'t>> {
    let mut node = object;
    for key in path {
        node = property(file, node, key)?;
    }
    Some(node)
}

/// JS/TS `true`/`false`.
pub fn js_bool(node: Node<'_>) -> Option<bool> {
    match node.kind() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
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

/// The byte range of whole lines covering `node` (including the newline), for moving
/// statements line by line.
pub fn line_span(file: &SourceFile, start: usize, end: usize) -> std::ops::Range<usize> {
    let line_start = file.text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = file.text[end..]
        .find('\n')
        .map_or(file.text.len(), |i| end + i + 1);
    line_start..line_end
}

/// PostgreSQL statements of a SQL file.
pub fn sql_statements(
    text: &str,
) -> Result<Vec<sqlparser::ast::Statement>, sqlparser::parser::ParserError> {
    sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, text)
}

/// Names imported by Python `import x as y` / `from m import a as b`: (module path, local name).
pub fn py_imports(file: &SourceFile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for node in nodes_of(file, &["import_statement", "import_from_statement"]) {
        let module = node
            .child_by_field_name("module_name")
            .map(|m| file.node_text(m).to_owned());
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            let (path, local) = match name.kind() {
                "aliased_import" => (
                    name.child_by_field_name("name")
                        .map(|n| file.node_text(n))
                        .unwrap_or_default(),
                    name.child_by_field_name("alias")
                        .map(|n| file.node_text(n))
                        .unwrap_or_default(),
                ),
                _ => (
                    file.node_text(name),
                    file.node_text(name).rsplit('.').next().unwrap_or_default(),
                ),
            };
            let full = match &module {
                Some(m) => format!("{m}.{path}"),
                None => path.to_owned(),
            };
            out.push((full, local.to_owned()));
        }
    }
    out
}

/// Modules a JS/TS file imports or requires (`import x from "m"`, `require("m")`).
pub fn js_imports(file: &SourceFile) -> Vec<String> {
    let mut out = Vec::new();
    for node in nodes_of(file, &["import_statement", "call_expression"]) {
        if node.kind() == "import_statement" {
            if let Some(source) = node.child_by_field_name("source") {
                out.extend(string_value(file, source));
            }
        } else if callee(file, node) == "require" {
            if let Some(arg) = arguments(node).first() {
                out.extend(string_value(file, *arg));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Editing comma-separated lists (object literals, argument lists) while keeping the
// file's layout. Added for cookie-flags; generic.

/// The `,` token right after `item` in its list, comments skipped.
pub fn comma_after(item: Node<'_>) -> Option<Node<'_>> {
    let mut next = item.next_sibling();
    while let Some(node) = next {
        match node.kind() {
            "comment" => next = node.next_sibling(),
            "," => return Some(node),
            _ => return None,
        }
    }
    None
}

/// The `,` token right before `item` in its list, comments skipped.
pub fn comma_before(item: Node<'_>) -> Option<Node<'_>> {
    let mut prev = item.prev_sibling();
    while let Some(node) = prev {
        match node.kind() {
            "comment" => prev = node.prev_sibling(),
            "," => return Some(node),
            _ => return None,
        }
    }
    None
}

/// The whitespace before byte `at` on its line, when only whitespace precedes `at` there
/// (`at` starts the line's code).
pub fn own_line_indent(file: &SourceFile, at: usize) -> Option<&str> {
    let before = &file.text[line_start(file, at)..at];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(before)
}

/// Whether nothing but whitespace or a line comment (`//`, `#`) follows byte `at` on its line.
fn rest_of_line_is_blank(file: &SourceFile, at: usize) -> bool {
    let rest = file.text[at..]
        .split('\n')
        .next()
        .unwrap_or_default()
        .trim();
    rest.is_empty() || rest.starts_with("//") || rest.starts_with('#')
}

/// End of the line holding byte `at` (before its newline).
fn line_end(file: &SourceFile, at: usize) -> usize {
    file.text[at..]
        .find('\n')
        .map_or(file.text.len(), |i| at + i)
}

/// Edits that add `text` (`secure: true`, `secure=True`) as a new item right after `item` of
/// its comma-separated list: on a line of its own with `item`'s indentation when `item` sits
/// on its own line(s), inline (`a, text, b`) otherwise.
pub fn insert_item_after(
    file: &SourceFile,
    item: Node<'_>,
    text: &str,
) -> Vec<crate::doctor::finding::Edit> {
    use crate::doctor::finding::Edit;
    let comma = comma_after(item);
    let last = comma.map_or(item.end_byte(), |c| c.end_byte());
    let own_line =
        own_line_indent(file, item.start_byte()).filter(|_| rest_of_line_is_blank(file, last));
    match (own_line, comma) {
        (Some(indent), Some(_)) => {
            vec![Edit::insert(
                file,
                line_end(file, last),
                format!("\n{indent}{text},"),
            )]
        }
        (Some(indent), None) => vec![
            Edit::insert(file, item.end_byte(), ","),
            Edit::insert(file, line_end(file, last), format!("\n{indent}{text}")),
        ],
        (None, Some(c)) => vec![Edit::insert(file, c.end_byte(), format!(" {text},"))],
        (None, None) => vec![Edit::insert(file, item.end_byte(), format!(", {text}"))],
    }
}

/// An edit that removes `item` from its comma-separated list with its comma, and its whole
/// line when it sits on a line of its own.
pub fn remove_item(file: &SourceFile, item: Node<'_>) -> crate::doctor::finding::Edit {
    use crate::doctor::finding::Edit;
    let comma = comma_after(item);
    let last = comma.map_or(item.end_byte(), |c| c.end_byte());
    if own_line_indent(file, item.start_byte()).is_some() && rest_of_line_is_blank(file, last) {
        return Edit::delete(file, line_span(file, item.start_byte(), last));
    }
    if let Some(comma) = comma {
        let after = &file.text[comma.end_byte()..];
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        return Edit::delete(file, item.start_byte()..comma.end_byte() + spaces);
    }
    if let Some(before) = comma_before(item) {
        return Edit::delete(file, before.start_byte()..item.end_byte());
    }
    Edit::delete(file, item.byte_range())
}

// ---- Added for route-order / cors-credentials / esm-module -------------------------------

/// A name a JS/TS file binds from a module: `import x from "m"` (imported `default`),
/// `import * as x from "m"` and `const x = require("m")` (imported `*`),
/// `import { a as b } from "m"` and `const { a: b } = require("m")` (imported `a`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsBinding {
    pub module: String,
    pub imported: String,
    pub local: String,
}

/// Every module binding of a JS/TS file (imports, `require` destructuring, TS `import x = require`).
pub fn js_import_bindings(file: &SourceFile) -> Vec<JsBinding> {
    let mut out = Vec::new();
    let mut push = |module: &str, imported: &str, local: &str| {
        out.push(JsBinding {
            module: module.to_owned(),
            imported: imported.to_owned(),
            local: local.to_owned(),
        });
    };
    for node in nodes_of(
        file,
        &[
            "import_statement",
            "variable_declarator",
            "import_require_clause",
        ],
    ) {
        match node.kind() {
            "import_statement" => {
                let Some(module) = node
                    .child_by_field_name("source")
                    .and_then(|s| string_value(file, s))
                else {
                    continue;
                };
                for n in descendants(node) {
                    match n.kind() {
                        "import_clause" => {
                            let mut cursor = n.walk();
                            for child in n.named_children(&mut cursor) {
                                if child.kind() == "identifier" {
                                    push(&module, "default", file.node_text(child));
                                }
                            }
                        }
                        "namespace_import" => {
                            let mut cursor = n.walk();
                            for child in n.named_children(&mut cursor) {
                                if child.kind() == "identifier" {
                                    push(&module, "*", file.node_text(child));
                                }
                            }
                        }
                        "import_specifier" => {
                            let Some(name) = n.child_by_field_name("name") else {
                                continue;
                            };
                            let local = n.child_by_field_name("alias").unwrap_or(name);
                            push(&module, &property_key(file, name), file.node_text(local));
                        }
                        _ => {}
                    }
                }
            }
            "import_require_clause" => {
                let module = node
                    .child_by_field_name("source")
                    .and_then(|s| string_value(file, s));
                let mut cursor = node.walk();
                let local = node
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "identifier");
                if let (Some(module), Some(local)) = (module, local) {
                    push(&module, "*", file.node_text(local));
                }
            }
            _ => {
                // const x = require("m") / const { a, b: c } = require("m")
                let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if value.kind() != "call_expression" || callee(file, value) != "require" {
                    continue;
                }
                let Some(module) = arguments(value)
                    .first()
                    .and_then(|a| string_value(file, *a))
                else {
                    continue;
                };
                match name.kind() {
                    "identifier" => push(&module, "*", file.node_text(name)),
                    "object_pattern" => {
                        let mut cursor = name.walk();
                        for prop in name.named_children(&mut cursor) {
                            match prop.kind() {
                                "shorthand_property_identifier_pattern" => {
                                    let text = file.node_text(prop);
                                    push(&module, text, text);
                                }
                                "pair_pattern" => {
                                    if let (Some(k), Some(v)) = (
                                        prop.child_by_field_name("key"),
                                        prop.child_by_field_name("value"),
                                    ) {
                                        if v.kind() == "identifier" {
                                            push(
                                                &module,
                                                &property_key(file, k),
                                                file.node_text(v),
                                            );
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Byte offset of the start of the line holding `at`.
pub fn line_start(file: &SourceFile, at: usize) -> usize {
    file.text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The leading whitespace of the line holding `at`.
pub fn line_indent(file: &SourceFile, at: usize) -> &str {
    let start = line_start(file, at);
    let rest = &file.text[start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

/// `"\r\n"` when the file's first line ends that way, else `"\n"`.
pub fn newline(file: &SourceFile) -> &'static str {
    match file.text.find('\n') {
        Some(i) if i > 0 && file.text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// One `.method(args)` of a Rust method chain, from the root outwards.
pub struct Link<'t> {
    pub call: Node<'t>,
    /// The receiver expression (`Router::new()`, or the chain so far).
    pub value: Node<'t>,
    pub method: String,
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
        let (Some(value), Some(field)) = (
            function.child_by_field_name("value"),
            function.child_by_field_name("field"),
        ) else {
            break;
        };
        links.push(Link {
            call: node,
            value,
            method: file.node_text(field).to_owned(),
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

// ---- Test files, Dockerfile instructions, block-YAML key lookup ----

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

/// One Dockerfile instruction (continuation lines joined).
#[derive(Debug, Clone)]
pub struct DockerInstruction {
    /// Upper case: `FROM`, `ENV`, `EXPOSE`, ...
    pub keyword: String,
    /// Whole instruction, all its physical lines.
    pub span: std::ops::Range<usize>,
    /// The arguments as characters with their byte offsets in the file (continuations removed).
    chars: Vec<(usize, char)>,
}

/// A word of an instruction's arguments: the text without quotes and its span in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerWord {
    pub text: String,
    pub span: std::ops::Range<usize>,
}

impl DockerInstruction {
    /// Arguments split at unquoted whitespace, quotes removed.
    pub fn words(&self) -> Vec<DockerWord> {
        let mut words = Vec::new();
        let mut current: Option<DockerWord> = None;
        let mut quote: Option<char> = None;
        for &(at, c) in &self.chars {
            let end = at + c.len_utf8();
            if quote.is_none() && c.is_whitespace() {
                words.extend(current.take());
                continue;
            }
            let word = current.get_or_insert_with(|| DockerWord {
                text: String::new(),
                span: at..end,
            });
            word.span.end = end;
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                _ => word.text.push(c),
            }
        }
        words.extend(current);
        words
    }

    /// `ENV`/`ARG` pairs: `K=v K2="v 2"` or the legacy `ENV K value with spaces`.
    pub fn pairs(&self) -> Vec<(DockerWord, DockerWord)> {
        let words = self.words();
        let Some(first) = words.first() else {
            return Vec::new();
        };
        if !first.text.contains('=') {
            if self.keyword == "ENV" && words.len() > 1 {
                let value = DockerWord {
                    text: words[1..]
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    span: words[1].span.start..words[words.len() - 1].span.end,
                };
                return vec![(first.clone(), value)];
            }
            return Vec::new();
        }
        words
            .iter()
            .filter_map(|w| {
                let eq = w.text.find('=')?;
                // The key is never quoted; the value starts right after `=` in the file.
                let key_end = w.span.start + eq;
                Some((
                    DockerWord {
                        text: w.text[..eq].to_owned(),
                        span: w.span.start..key_end,
                    },
                    DockerWord {
                        text: w.text[eq + 1..].to_owned(),
                        span: key_end + 1..w.span.end,
                    },
                ))
            })
            .collect()
    }
}

/// The instructions of a Dockerfile: `#` comments, the `# escape=` directive, line
/// continuations and heredoc bodies (`RUN <<EOF`) are handled; nothing is evaluated.
pub fn dockerfile_instructions(text: &str) -> Vec<DockerInstruction> {
    let mut escape = '\\';
    let mut out: Vec<DockerInstruction> = Vec::new();
    let mut open: Option<DockerInstruction> = None;
    let mut heredoc: Option<String> = None;
    let mut directives = true;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if let Some(marker) = &heredoc {
            if trimmed.trim_end() == marker {
                heredoc = None;
            }
            continue;
        }
        if directives {
            if let Some(rest) = trimmed.strip_prefix('#') {
                let rest = rest.trim();
                if let Some(value) = rest
                    .strip_prefix("escape")
                    .and_then(|r| r.trim_start().strip_prefix('='))
                {
                    escape = value.trim().chars().next().unwrap_or('\\');
                }
                continue;
            }
            directives = false;
        }
        if trimmed.starts_with('#') || (trimmed.is_empty() && open.is_none()) {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let mut body_start = start + indent;
        let mut body = trimmed;
        let mut instruction = match open.take() {
            Some(instruction) => instruction,
            None => {
                let keyword_len = body.find(char::is_whitespace).unwrap_or(body.len());
                let keyword = body[..keyword_len].to_ascii_uppercase();
                body = &body[keyword_len..];
                body_start += keyword_len;
                DockerInstruction {
                    keyword,
                    span: start + indent..start + line.len(),
                    chars: Vec::new(),
                }
            }
        };
        instruction.span.end = start + line.len();
        let content = body.trim_end();
        let continued = content.ends_with(escape);
        let content = if continued {
            &content[..content.len() - escape.len_utf8()]
        } else {
            content
        };
        if !instruction.chars.is_empty() {
            instruction.chars.push((body_start, ' '));
        }
        instruction
            .chars
            .extend(content.char_indices().map(|(i, c)| (body_start + i, c)));
        if let Some(marker) = content
            .split_whitespace()
            .find_map(|w| w.strip_prefix("<<"))
            .map(|m| {
                m.trim_start_matches('-')
                    .trim_matches(['"', '\''])
                    .to_owned()
            })
            .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            heredoc = Some(marker);
        }
        if continued {
            open = Some(instruction);
        } else {
            out.push(instruction);
        }
    }
    out.extend(open);
    out
}

/// The span of the scalar at `path` in a block-style YAML document: mapping keys, the last of
/// which may also match a `- KEY=value` sequence item (compose `environment:` lists), whose
/// value part is returned. Flow collections (`{a: 1}`) are not searched. Meant for locating
/// what serde_yaml has already read, to report it at its place.
pub fn yaml_value_span(text: &str, path: &[&str]) -> Option<std::ops::Range<usize>> {
    // indent of the key matched at each depth, and the indent of its children (first seen).
    let mut matched: Vec<(usize, Option<usize>)> = Vec::new();
    let mut block_scalar: Option<usize> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if let Some(parent) = block_scalar {
            if indent > parent {
                continue;
            }
            block_scalar = None;
        }
        if content == "---" || content == "..." {
            matched.clear();
            continue;
        }
        if let Some(&(key_indent, _)) = matched.last() {
            if indent <= key_indent {
                return None; // left the block of a matched key: keys are unique
            }
        }
        let depth = matched.len();
        let (is_item, entry) = match content.strip_prefix("- ") {
            Some(rest) => (true, rest.trim_start()),
            None => (false, content),
        };
        let entry_at = start + (line.len() - entry.len());
        if depth > 0 {
            let child = matched[depth - 1].1.get_or_insert(indent);
            if indent != *child {
                continue;
            }
        } else if indent != 0 {
            continue;
        }
        let code = strip_yaml_comment(entry);
        if is_item && depth + 1 == path.len() {
            let item = code.trim_matches(['"', '\'']);
            let quoted = item.len() != code.len();
            if let Some(value) = item
                .strip_prefix(path[depth])
                .and_then(|r| r.strip_prefix('='))
            {
                let value_at = entry_at + usize::from(quoted) + path[depth].len() + 1;
                return Some(value_at..value_at + value.len());
            }
            continue;
        }
        if is_item {
            continue;
        }
        let Some((key, value)) = yaml_key(code) else {
            continue;
        };
        if value.starts_with(['|', '>']) {
            block_scalar = Some(indent);
        }
        if key != path[depth] {
            continue;
        }
        if depth + 1 == path.len() {
            let value_at = entry_at + (code.len() - value.len());
            return (!value.is_empty()).then(|| value_at..value_at + value.len());
        }
        matched.push((indent, None));
    }
    None
}

fn strip_yaml_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return text[..i].trim_end(),
            _ => {}
        }
        previous = c;
    }
    text.trim_end()
}

/// `key: value` → (key without quotes, value as written); `None` when not a mapping entry.
fn yaml_key(code: &str) -> Option<(&str, &str)> {
    let (key, rest) = if let Some(q) = code.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        let close = code[1..].find(q)? + 1;
        (&code[1..close], &code[close + 1..])
    } else {
        let colon = code
            .char_indices()
            .find(|&(i, c)| c == ':' && code[i + 1..].chars().next().is_none_or(|n| n == ' '))?
            .0;
        (code[..colon].trim_end(), &code[colon..])
    };
    let value = rest.trim_start().strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with(' ')) {
        return None;
    }
    Some((key, value.trim_start()))
}

#[cfg(test)]
mod doctor_b_tests {
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
    fn dockerfile_env_and_continuations() {
        let text = "# escape=\\\nFROM node:22 AS build\n# comment\nENV NODE_ENV=production \\\n    PORT=\"3000\"\nENV HOST 127.0.0.1\nRUN <<EOF\nENV FAKE=1\nEOF\nEXPOSE 3000/tcp 9229\n";
        let instructions = dockerfile_instructions(text);
        let keywords: Vec<_> = instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(keywords, ["FROM", "ENV", "ENV", "RUN", "EXPOSE"]);
        let pairs = instructions[1].pairs();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].0.text, "PORT");
        assert_eq!(pairs[1].1.text, "3000");
        assert_eq!(&text[pairs[1].1.span.clone()], "\"3000\"");
        let legacy = instructions[2].pairs();
        assert_eq!(
            (legacy[0].0.text.as_str(), legacy[0].1.text.as_str()),
            ("HOST", "127.0.0.1")
        );
        let expose = instructions[4].words();
        assert_eq!(&text[expose[0].span.clone()], "3000/tcp");
    }

    #[test]
    fn yaml_value_spans() {
        let text = "services:\n  web:\n    environment:\n      - NODE_ENV=production\n      - \"BETTER_AUTH_URL=http://localhost:3000\"\n  auth:\n    image: x\n    environment:\n      AUTH_ISSUER: http://localhost:4000 # dev\n      deploy: |\n        AUTH_URL: nope\n";
        let span =
            yaml_value_span(text, &["services", "web", "environment", "BETTER_AUTH_URL"]).unwrap();
        assert_eq!(&text[span], "http://localhost:3000");
        let span =
            yaml_value_span(text, &["services", "auth", "environment", "AUTH_ISSUER"]).unwrap();
        assert_eq!(&text[span], "http://localhost:4000");
        assert!(yaml_value_span(text, &["services", "auth", "environment", "AUTH_URL"]).is_none());
        assert!(yaml_value_span(text, &["services", "web", "image"]).is_none());
    }
}
