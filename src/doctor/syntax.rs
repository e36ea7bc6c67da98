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

/// Whether a path is test code (never deployed): under `tests/`, `__tests__/`, `e2e/`, or
/// named `test_*.py`, `*_test.py`, `*.test.ts`, `*.spec.ts`, ...
pub fn is_test_path(rel: &str) -> bool {
    let name = crate::discover::file_name(rel);
    let dirs = crate::discover::parent(rel);
    dirs.split('/').any(|d| {
        matches!(
            d,
            "tests" | "test" | "__tests__" | "e2e" | "spec" | "__mocks__"
        )
    }) || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name.contains(".test.")
        || name.contains(".spec.")
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

/// The local names bound to `module` (any import form), with what each imports.
pub fn js_locals_of<'b>(
    bindings: &'b [JsBinding],
    module: &'b str,
) -> impl Iterator<Item = &'b JsBinding> + 'b {
    bindings.iter().filter(move |b| b.module == module)
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
