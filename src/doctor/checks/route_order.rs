//! `route-order`: routes registered in an order that hides or unprotects them.
//!
//! - Express (tree-sitter, JS/TS): in one block, `app.use(express.json())` (or another body
//!   parser from `express`/`body-parser`, mounted on a path covering the auth prefix) before
//!   `app.all("/api/auth/*splat", toNodeHandler(auth))` on the same app; and custom routes under
//!   the auth prefix registered after that catch-all.
//! - FastAPI (tree-sitter, Python): in one block of a module that imports FastAPI, a
//!   path-parameter route (`@router.get("/{item_id}")`) declared before a static route of the
//!   same router object, method and segment count that it matches (`@router.get("/stats")`).
//! - axum (tree-sitter, Rust): in one method chain, `.route(...)` added after an authentication
//!   `.route_layer(...)`/`.layer(...)` (and no auth layer after it), and `Router::new()
//!   .route_layer(auth)` with no route before it (panics at start).
//!
//! Fixes move whole statements or decorated definitions (with the comment lines directly above
//! them), byte for byte. They are safe only when nothing between the old and the new place
//! depends on the moved code: no route or middleware registered on the same app in between
//! (Express), no name defined in between that the moved code's decorators or signature use
//! (FastAPI). axum findings show the move but never apply it: a route after the layer may be
//! meant to be public.

use std::collections::HashSet;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::finding::{Edit, Finding, Fix, Severity};
use crate::doctor::syntax::{
    JsBinding, arguments, callee, callee_name, descendants, is_chain_top, js_import_bindings,
    line_start, nodes_of, py_imports, py_keyword, py_positional, rust_chain, string_value,
};
use crate::doctor::workspace::{Lang, SourceFile, Workspace};

use super::Check;

pub struct RouteOrder;

const ID: &str = "route-order";

impl Check for RouteOrder {
    fn id(&self) -> &'static str {
        ID
    }

    fn run(&self, ws: &Workspace) -> Vec<Finding> {
        let mut out = Vec::new();
        check(ws, &mut out);
        out
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        if file.text.contains("toNodeHandler") {
            express(&file, out);
        }
    }
    for file in ws.sources_in(&[Lang::Python]) {
        if file.text.contains("fastapi") && file.text.contains('@') {
            fastapi(&file, out);
        }
    }
    for file in ws.sources_in(&[Lang::Rust]) {
        if file.text.contains("layer(") && file.text.contains("axum") {
            axum(&file, out);
        }
    }
}

// ---- moving statements ---------------------------------------------------------------------

/// The whole lines of `stmt` plus the comment lines directly above it, when the statement has
/// its lines to itself (nothing but whitespace before it, at most a comment after it).
fn block(file: &SourceFile, stmt: Node<'_>) -> Option<Range<usize>> {
    let start = line_start(file, stmt.start_byte());
    if !file.text[start..stmt.start_byte()].trim().is_empty() {
        return None;
    }
    let line_end = file.text[stmt.end_byte()..]
        .find('\n')
        .map_or(file.text.len(), |i| stmt.end_byte() + i + 1);
    let rest = file.text[stmt.end_byte()..line_end].trim();
    if !(rest.is_empty() || rest.starts_with("//") || rest.starts_with('#')) {
        return None;
    }
    let mut first = stmt;
    while let Some(prev) = first.prev_sibling() {
        let prev_start = line_start(file, prev.start_byte());
        if prev.kind() != "comment"
            || prev.end_position().row + 1 != first.start_position().row
            || !file.text[prev_start..prev.start_byte()].trim().is_empty()
        {
            break;
        }
        first = prev;
    }
    Some(line_start(file, first.start_byte())..line_end)
}

/// `text` as a run of whole lines (a final line without newline gets one).
fn as_lines(text: &str, newline: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}{newline}")
    }
}

/// Named children of `parent` that are statements (comments skipped).
fn statements(parent: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = parent.walk();
    parent
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

// ---- Express --------------------------------------------------------------------------------

const HTTP_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "options", "head"];

/// A registration `recv.method(args...)` directly as an expression statement.
struct Registration<'t> {
    stmt: Node<'t>,
    call: Node<'t>,
    receiver: String,
    method: String,
    path: Option<(String, Node<'t>)>,
}

fn registration<'t>(file: &SourceFile, stmt: Node<'t>) -> Option<Registration<'t>> {
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let call = stmt.named_child(0)?;
    if call.kind() != "call_expression" {
        return None;
    }
    let function = call.child_by_field_name("function")?;
    if function.kind() != "member_expression" {
        return None;
    }
    let object = function.child_by_field_name("object")?;
    let property = function.child_by_field_name("property")?;
    if object.kind() != "identifier" {
        return None;
    }
    let method = file.node_text(property).to_owned();
    if !(HTTP_METHODS.contains(&method.as_str()) || method == "all" || method == "use") {
        return None;
    }
    let path = arguments(call)
        .first()
        .and_then(|a| string_value(file, *a).map(|s| (s, *a)));
    Some(Registration {
        stmt,
        call,
        receiver: file.node_text(object).to_owned(),
        method,
        path,
    })
}

fn has_to_node_handler(file: &SourceFile, call: Node<'_>) -> bool {
    arguments(call).into_iter().any(|arg| {
        descendants(arg)
            .into_iter()
            .any(|n| n.kind() == "call_expression" && callee_name(file, n) == "toNodeHandler")
    })
}

/// Path segments of an Express path before the first wildcard or parameter, and whether the
/// path has a wildcard (`*`, `*splat`, `{*splat}`, `(.*)`).
fn express_prefix(path: &str) -> (Vec<&str>, bool) {
    let mut prefix = Vec::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment.contains(['*', '(']) {
            return (prefix, true);
        }
        if segment.contains([':', '{']) {
            return (prefix, false);
        }
        prefix.push(segment);
    }
    (prefix, false)
}

fn static_segments(path: &str) -> Option<Vec<&str>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments
        .iter()
        .all(|s| !s.contains(['*', '(']))
        .then_some(segments)
}

/// Whether `node` is a body-parser middleware call: `express.json()`, `bodyParser.urlencoded()`,
/// a `json()` imported from express / body-parser, `bodyParser()`.
fn is_body_parser(file: &SourceFile, node: Node<'_>, bindings: &[JsBinding]) -> bool {
    if node.kind() != "call_expression" {
        return false;
    }
    let Some(function) = node.child_by_field_name("function") else {
        return false;
    };
    let parser_module = |local: &str, want: &dyn Fn(&str) -> bool| {
        bindings.iter().any(|b| {
            matches!(b.module.as_str(), "express" | "body-parser")
                && b.local == local
                && want(&b.imported)
        })
    };
    let parser_name = |name: &str| matches!(name, "json" | "urlencoded" | "text" | "raw");
    match function.kind() {
        "member_expression" => {
            let (Some(object), Some(property)) = (
                function.child_by_field_name("object"),
                function.child_by_field_name("property"),
            ) else {
                return false;
            };
            parser_name(file.node_text(property))
                && parser_module(file.node_text(object), &|imported| {
                    imported == "default" || imported == "*"
                })
        }
        "identifier" => {
            let name = file.node_text(function);
            parser_module(name, &|imported| {
                parser_name(imported)
                    || (imported == "default" || imported == "*")
                        && bindings
                            .iter()
                            .any(|b| b.module == "body-parser" && b.local == name)
            })
        }
        _ => false,
    }
}

/// Middleware that never reads the request body, so a body parser may move past it.
fn body_agnostic(file: &SourceFile, node: Node<'_>, bindings: &[JsBinding]) -> bool {
    if is_body_parser(file, node, bindings) {
        return true;
    }
    node.kind() == "call_expression"
        && matches!(
            callee(file, node),
            "cors" | "helmet" | "morgan" | "cookieParser" | "compression" | "express.static"
        )
}

/// Names a JS/TS statement declares (variables, functions, classes).
fn js_declared(file: &SourceFile, stmt: Node<'_>) -> HashSet<String> {
    let mut names = HashSet::new();
    for node in descendants(stmt) {
        match node.kind() {
            "variable_declarator" => {
                if let Some(name) = node.child_by_field_name("name") {
                    for n in descendants(name) {
                        if matches!(
                            n.kind(),
                            "identifier" | "shorthand_property_identifier_pattern"
                        ) {
                            names.insert(file.node_text(n).to_owned());
                        }
                    }
                }
            }
            "function_declaration" | "class_declaration" | "generator_function_declaration" => {
                if let Some(name) = node.child_by_field_name("name") {
                    names.insert(file.node_text(name).to_owned());
                }
            }
            _ => {}
        }
    }
    names
}

fn js_mentioned(file: &SourceFile, node: Node<'_>) -> HashSet<String> {
    descendants(node)
        .into_iter()
        .filter(|n| matches!(n.kind(), "identifier" | "shorthand_property_identifier"))
        .map(|n| file.node_text(n).to_owned())
        .collect()
}

fn express(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let bindings = js_import_bindings(file);
    if !bindings.iter().any(|b| b.module == "express") {
        return;
    }
    let newline = crate::doctor::syntax::newline(file);
    let mut seen_parents = HashSet::new();
    for call in nodes_of(file, &["call_expression"]) {
        if callee_name(file, call) != "toNodeHandler" {
            continue;
        }
        let Some(stmt) = crate::doctor::syntax::statement_of(call) else {
            continue;
        };
        let Some(parent) = stmt.parent() else {
            continue;
        };
        if seen_parents.insert(parent.id()) {
            express_block(file, parent, &bindings, newline, out);
        }
    }
}

/// Every auth catch-all registered directly in `parent`, with what is mis-ordered around it.
fn express_block(
    file: &SourceFile,
    parent: Node<'_>,
    bindings: &[JsBinding],
    newline: &str,
    out: &mut Vec<Finding>,
) {
    let stmts = statements(parent);
    for (h_index, h_stmt) in stmts.iter().enumerate() {
        let Some(handler) = registration(file, *h_stmt) else {
            continue;
        };
        if !has_to_node_handler(file, handler.call) {
            continue;
        }
        let Some((path, _)) = &handler.path else {
            continue;
        };
        let (prefix, wildcard) = express_prefix(path);
        if !(wildcard || handler.method == "use") || prefix.is_empty() {
            continue;
        }
        let shown = format!("/{}", prefix.join("/"));
        body_parsers_before(
            file, &stmts, h_index, &handler, &prefix, bindings, newline, out,
        );
        routes_after(
            file, &stmts, h_index, &handler, &prefix, &shown, newline, out,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn body_parsers_before(
    file: &SourceFile,
    stmts: &[Node<'_>],
    h_index: usize,
    handler: &Registration<'_>,
    prefix: &[&str],
    bindings: &[JsBinding],
    newline: &str,
    out: &mut Vec<Finding>,
) {
    // (statement index, the parser call)
    let mut parsers = Vec::new();
    for (i, stmt) in stmts[..h_index].iter().enumerate() {
        let Some(reg) = registration(file, *stmt) else {
            continue;
        };
        if reg.receiver != handler.receiver || reg.method != "use" {
            continue;
        }
        if let Some((mount, _)) = &reg.path {
            let mount: Vec<&str> = mount.split('/').filter(|s| !s.is_empty()).collect();
            if mount.len() > prefix.len() || mount[..] != prefix[..mount.len()] {
                continue;
            }
        }
        if let Some(parser) = arguments(reg.call)
            .into_iter()
            .find(|a| is_body_parser(file, *a, bindings))
        {
            parsers.push((i, parser));
        }
    }
    if parsers.is_empty() {
        return;
    }
    // Each parser may move past the statements between it and the handler when none of them
    // registers anything on the app except body-agnostic middleware.
    let safe = |i: usize| {
        stmts[i + 1..h_index]
            .iter()
            .all(|s| match registration(file, *s) {
                Some(reg) if reg.receiver == handler.receiver => {
                    reg.method == "use"
                        && arguments(reg.call)
                            .into_iter()
                            .filter(|a| a.kind() != "string")
                            .all(|a| body_agnostic(file, a, bindings))
                }
                _ => !js_mentioned(file, *s).contains(&handler.receiver),
            })
            && block(file, stmts[i]).is_some()
    };
    let h_block = block(file, handler.stmt);
    let movable: Vec<usize> = parsers
        .iter()
        .map(|(i, _)| *i)
        .filter(|i| safe(*i))
        .collect();
    let fix = h_block.filter(|_| !movable.is_empty()).map(|h_block| {
        let mut edits = Vec::new();
        let mut moved = String::new();
        if !file.text[..h_block.end].ends_with('\n') {
            moved.push_str(newline);
        }
        for i in &movable {
            let range = block(file, stmts[*i]).unwrap_or_default();
            moved.push_str(&as_lines(&file.text[range.clone()], newline));
            edits.push(Edit::delete(file, range));
        }
        edits.push(Edit::insert(file, h_block.end, moved));
        Fix::safe("move the body parser after the Better Auth handler", edits)
    });
    let handler_line = handler.stmt.start_position().row + 1;
    for (i, parser) in parsers {
        let text = file.node_text(parser);
        let finding = Finding::new(
            ID,
            file,
            parser.byte_range(),
            format!(
                "`{text}` is registered before the Better Auth handler (line {handler_line}): it consumes the request body Better Auth reads, so auth requests hang (pending) or fail"
            ),
        )
        .help(format!(
            "register `{}` before the body parser, or mount the parser on your own routes only",
            file.node_text(handler.call)
        ));
        out.push(if movable.contains(&i) {
            finding.maybe_fix(fix.clone())
        } else {
            finding
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn routes_after(
    file: &SourceFile,
    stmts: &[Node<'_>],
    h_index: usize,
    handler: &Registration<'_>,
    prefix: &[&str],
    shown: &str,
    newline: &str,
    out: &mut Vec<Finding>,
) {
    // (statement index, path node)
    let mut routes = Vec::new();
    for (offset, stmt) in stmts[h_index + 1..].iter().enumerate() {
        let Some(reg) = registration(file, *stmt) else {
            continue;
        };
        if reg.receiver != handler.receiver || has_to_node_handler(file, reg.call) {
            continue;
        }
        let Some((path, path_node)) = &reg.path else {
            continue;
        };
        let same_method = handler.method == "all"
            || handler.method == "use"
            || reg.method == handler.method
            || reg.method == "all";
        let Some(segments) = static_segments(path) else {
            continue;
        };
        let under = segments.len() > prefix.len() && segments[..prefix.len()] == *prefix
            || reg.method == "use"
                && segments.len() >= prefix.len()
                && segments[..prefix.len()] == *prefix;
        if same_method && under {
            routes.push((h_index + 1 + offset, *path_node, reg));
        }
    }
    if routes.is_empty() {
        return;
    }
    let h_stmt = handler.stmt;
    // The route may move up to just before the handler when nothing in between registers on
    // the app (that middleware would no longer run for it) or declares a name it uses.
    let safe = |index: usize, reg: &Registration<'_>| {
        let used = js_mentioned(file, reg.stmt);
        block(file, reg.stmt).is_some()
            && stmts[h_index + 1..index].iter().all(|s| {
                let is_moved_route = routes.iter().any(|(i, _, _)| stmts[*i].id() == s.id());
                is_moved_route
                    || !js_mentioned(file, *s).contains(&handler.receiver)
                        && js_declared(file, *s).is_disjoint(&used)
            })
    };
    let movable: Vec<usize> = routes
        .iter()
        .filter(|(i, _, reg)| safe(*i, reg))
        .map(|(i, _, _)| *i)
        .collect();
    let fix = block(file, h_stmt)
        .filter(|_| !movable.is_empty())
        .map(|h_block| {
            let mut edits = Vec::new();
            let mut moved = String::new();
            for i in &movable {
                let range = block(file, stmts[*i]).unwrap_or_default();
                moved.push_str(&as_lines(&file.text[range.clone()], newline));
                edits.push(Edit::delete(file, range));
            }
            edits.push(Edit::insert(file, h_block.start, moved));
            Fix::safe("move the route before the Better Auth catch-all", edits)
        });
    let handler_line = h_stmt.start_position().row + 1;
    for (i, path_node, reg) in routes {
        let finding = Finding::new(
            ID,
            file,
            path_node.byte_range(),
            format!(
                "`{}.{}({})` is registered after the Better Auth catch-all for {shown} (line {handler_line}): Better Auth answers the request first and returns 404, so this route is never reached",
                reg.receiver,
                reg.method,
                file.node_text(path_node)
            ),
        )
        .help(format!(
            "register it before `{}`, or move it outside {shown}",
            file.node_text(handler.call)
        ));
        out.push(if movable.contains(&i) {
            finding.maybe_fix(fix.clone())
        } else {
            finding
        });
    }
}

// ---- FastAPI --------------------------------------------------------------------------------

const ROUTE_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "options", "head", "trace",
];

/// One `@router.get("/path")` decorator.
#[derive(Clone)]
struct PyRoute<'t> {
    /// The decorated definition.
    def: Node<'t>,
    receiver: String,
    method: String,
    path: String,
    path_node: Node<'t>,
}

fn py_routes<'t>(file: &SourceFile, def: Node<'t>) -> Vec<PyRoute<'t>> {
    let mut routes = Vec::new();
    let mut cursor = def.walk();
    for decorator in def.named_children(&mut cursor) {
        if decorator.kind() != "decorator" {
            continue;
        }
        let Some(call) = decorator.named_child(0).filter(|c| c.kind() == "call") else {
            continue;
        };
        let Some(function) = call
            .child_by_field_name("function")
            .filter(|f| f.kind() == "attribute")
        else {
            continue;
        };
        let (Some(object), Some(attr)) = (
            function.child_by_field_name("object"),
            function.child_by_field_name("attribute"),
        ) else {
            continue;
        };
        let method = file.node_text(attr);
        if object.kind() != "identifier" || !ROUTE_METHODS.contains(&method) {
            continue;
        }
        let path_node = py_positional(call)
            .first()
            .copied()
            .or_else(|| py_keyword(file, call, "path"));
        let Some(path_node) = path_node else { continue };
        let Some(path) = string_value(file, path_node) else {
            continue;
        };
        routes.push(PyRoute {
            def,
            receiver: file.node_text(object).to_owned(),
            method: method.to_owned(),
            path,
            path_node,
        });
    }
    routes
}

#[derive(Debug, PartialEq)]
enum Segment<'p> {
    Static(&'p str),
    /// `{name}` or `{name:str}`: any non-empty segment.
    Any,
    /// `{name:int}`: digits only.
    Int,
    /// Another converter or a partial parameter (`{name:path}`, `item-{id}`).
    Other,
}

fn segment(text: &str) -> Segment<'_> {
    if !text.contains('{') && !text.contains('}') {
        return Segment::Static(text);
    }
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return Segment::Other;
    };
    if inner.contains(['{', '}']) {
        return Segment::Other;
    }
    match inner.split_once(':').map(|(_, c)| c.trim()) {
        None | Some("str") => Segment::Any,
        Some("int") => Segment::Int,
        Some(_) => Segment::Other,
    }
}

/// Whether every request `later` matches is taken by `earlier` first, and `later` has a static
/// segment where `earlier` has a parameter.
fn shadows(earlier: &str, later: &str) -> bool {
    let a: Vec<&str> = earlier.split('/').collect();
    let b: Vec<&str> = later.split('/').collect();
    if a.len() != b.len() || earlier == later {
        return false;
    }
    let mut param_over_static = false;
    for (x, y) in a.iter().zip(&b) {
        match (segment(x), segment(y)) {
            (Segment::Static(x), Segment::Static(y)) if x == y => {}
            (Segment::Any, Segment::Static(y)) if !y.is_empty() => param_over_static = true,
            (Segment::Int, Segment::Static(y))
                if !y.is_empty() && y.bytes().all(|c| c.is_ascii_digit()) =>
            {
                param_over_static = true
            }
            (Segment::Any, Segment::Any | Segment::Int) => {}
            (Segment::Int, Segment::Int) => {}
            _ => return false,
        }
    }
    param_over_static
}

/// Names a Python statement may bind: targets of assignments, def/class names, imports; for
/// compound statements every identifier inside (conservative).
fn py_bound(file: &SourceFile, stmt: Node<'_>) -> HashSet<String> {
    let mut names = HashSet::new();
    let def = if stmt.kind() == "decorated_definition" {
        stmt.child_by_field_name("definition").unwrap_or(stmt)
    } else {
        stmt
    };
    match def.kind() {
        "function_definition" | "class_definition" => {
            if let Some(name) = def.child_by_field_name("name") {
                names.insert(file.node_text(name).to_owned());
            }
        }
        "expression_statement" => {
            for node in descendants(def) {
                if matches!(node.kind(), "assignment" | "augmented_assignment") {
                    if let Some(left) = node.child_by_field_name("left") {
                        for n in descendants(left) {
                            if n.kind() == "identifier" {
                                names.insert(file.node_text(n).to_owned());
                            }
                        }
                    }
                }
            }
        }
        "import_statement" | "import_from_statement" | "future_import_statement" => {
            for (_, local) in py_imports_of(file, def) {
                names.insert(local);
            }
        }
        _ => {
            for n in descendants(def) {
                if n.kind() == "identifier" {
                    names.insert(file.node_text(n).to_owned());
                }
            }
        }
    }
    names
}

fn py_imports_of(file: &SourceFile, stmt: Node<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cursor = stmt.walk();
    for name in stmt.children_by_field_name("name", &mut cursor) {
        let local = match name.kind() {
            "aliased_import" => name.child_by_field_name("alias"),
            _ => Some(name),
        };
        if let Some(local) = local {
            let text = file.node_text(local);
            let first = text.split('.').next().unwrap_or(text);
            out.push((String::new(), first.to_owned()));
        }
    }
    out
}

/// Identifiers a decorated definition evaluates when it is defined: decorators, parameter
/// defaults and annotations, return annotation (not the body, which runs later).
fn py_definition_time_names(file: &SourceFile, def: Node<'_>) -> HashSet<String> {
    let mut nodes = Vec::new();
    let mut cursor = def.walk();
    for child in def.named_children(&mut cursor) {
        if child.kind() == "decorator" {
            nodes.push(child);
        }
    }
    if let Some(function) = def.child_by_field_name("definition") {
        nodes.extend(function.child_by_field_name("parameters"));
        nodes.extend(function.child_by_field_name("return_type"));
    }
    nodes
        .into_iter()
        .flat_map(descendants)
        .filter(|n| n.kind() == "identifier")
        .map(|n| file.node_text(n).to_owned())
        .collect()
}

fn py_def_name<'f>(file: &'f SourceFile, def: Node<'_>) -> &'f str {
    def.child_by_field_name("definition")
        .and_then(|d| d.child_by_field_name("name"))
        .map(|n| file.node_text(n))
        .unwrap_or_default()
}

/// The blank lines directly above `at` (a line start).
fn blank_lines_before(file: &SourceFile, at: usize) -> usize {
    let mut start = at;
    while start > 0 {
        let prev = line_start(file, start - 1);
        if file.text[prev..start].trim().is_empty() {
            start = prev;
        } else {
            break;
        }
    }
    start
}

fn fastapi(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    if !py_imports(file)
        .iter()
        .any(|(path, _)| path == "fastapi" || path.starts_with("fastapi."))
    {
        return;
    }
    let newline = crate::doctor::syntax::newline(file);
    for parent in nodes_of(file, &["module", "block"]) {
        let stmts = statements(parent);
        // (index of the static route's definition, its route, index of the shadowing one, its route)
        let mut shadowed: Vec<(usize, PyRoute<'_>, usize, PyRoute<'_>)> = Vec::new();
        let routes: Vec<(usize, Vec<PyRoute<'_>>)> = stmts
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind() == "decorated_definition")
            .map(|(i, s)| (i, py_routes(file, *s)))
            .filter(|(_, r)| !r.is_empty())
            .collect();
        for (bi, b_routes) in &routes {
            for b in b_routes {
                let shadow = routes
                    .iter()
                    .filter(|(ai, _)| ai < bi)
                    .flat_map(|(ai, a_routes)| a_routes.iter().map(move |a| (*ai, a)))
                    .find(|(ai, a)| {
                        a.receiver == b.receiver
                            && a.method == b.method
                            && shadows(&a.path, &b.path)
                            && !stmts[*ai + 1..*bi]
                                .iter()
                                .any(|s| py_bound(file, *s).contains(&a.receiver))
                    });
                if let Some((ai, a)) = shadow {
                    shadowed.push((*bi, b.clone(), ai, a.clone()));
                }
            }
        }
        // A definition with two shadowed decorators moves once.
        let safe = |bi: usize, ai: usize| {
            let def = stmts[bi];
            let used = py_definition_time_names(file, def);
            let own = py_def_name(file, def);
            block(file, def).is_some()
                && block(file, stmts[ai]).is_some()
                && stmts[ai..bi].iter().all(|s| {
                    let bound = py_bound(file, *s);
                    bound.is_disjoint(&used) && !bound.contains(own)
                })
        };
        for (bi, b, ai, a) in &shadowed {
            // Every safe move before the same shadowing definition, as one fix.
            let mut group: Vec<usize> = shadowed
                .iter()
                .filter(|(other_b, _, other_a, _)| other_a == ai && safe(*other_b, *other_a))
                .map(|(other_b, _, _, _)| *other_b)
                .collect();
            group.sort_unstable();
            group.dedup();
            let fix = (group.contains(bi)).then(|| {
                let a_block = block(file, stmts[*ai]).unwrap_or_default();
                let mut edits = Vec::new();
                let mut moved = String::new();
                for index in &group {
                    let range = block(file, stmts[*index]).unwrap_or_default();
                    let gap_start = blank_lines_before(file, range.start);
                    moved.push_str(&as_lines(&file.text[range.clone()], newline));
                    moved.push_str(&file.text[gap_start..range.start]);
                    edits.push(Edit::delete(file, gap_start..range.end));
                }
                edits.push(Edit::insert(file, a_block.start, moved));
                Fix::safe(
                    "move the static route's definition before the path-parameter route",
                    edits,
                )
            });
            let method = b.method.to_uppercase();
            let a_line = a.path_node.start_position().row + 1;
            let a_name = py_def_name(file, a.def);
            out.push(
                Finding::new(
                    ID,
                    file,
                    b.path_node.byte_range(),
                    format!(
                        "`{method} {}` is declared after `{method} {}` ({a_name}, line {a_line}) on `{}`: FastAPI takes the first matching route, so requests for {} go to {a_name} and this route is unreachable (422 when the parameter is typed)",
                        b.path, a.path, b.receiver, b.path
                    ),
                )
                .help(format!(
                    "declare `{}` before `{}`: static routes first, path parameters after",
                    b.path, a.path
                ))
                .maybe_fix(fix),
            );
        }
    }
}

// ---- axum -----------------------------------------------------------------------------------

/// A name that reads like authentication: `require_auth`, `auth_middleware`, `jwt_guard`,
/// `RequireAuthorizationLayer`, `AuthUser` (not `author`).
fn auth_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let author = lower.contains("author") && !lower.contains("authoriz");
    let auth = lower.contains("auth") && !author;
    auth || [
        "jwt",
        "bearer",
        "login",
        "session",
        "protect",
        "guard",
        "require_user",
    ]
    .iter()
    .any(|k| lower.contains(k))
}

/// Whether the argument of `.layer(...)`/`.route_layer(...)` is an authentication middleware:
/// `middleware::from_fn*(…auth…)`, `from_extractor::<AuthUser>()`, an `…Auth…Layer`,
/// `ValidateRequestHeaderLayer::bearer/basic`, `login_required!(…)`.
fn is_auth_layer(file: &SourceFile, arg: Node<'_>) -> bool {
    let nodes = descendants(arg);
    let names = || {
        nodes
            .iter()
            .filter(|n| matches!(n.kind(), "identifier" | "type_identifier"))
            .map(|n| file.node_text(*n))
    };
    let middleware_fn = nodes.iter().any(|n| {
        n.kind() == "call_expression"
            && matches!(
                callee_name(file, *n),
                "from_fn"
                    | "from_fn_with_state"
                    | "from_extractor"
                    | "from_extractor_with_state"
                    | "map_request"
                    | "map_request_with_state"
            )
    });
    if middleware_fn && names().any(auth_like) {
        return true;
    }
    if names().any(
        |n| // axum-login's AuthManagerLayer loads the user; it protects nothing.
        n.ends_with("Layer") && n.contains("Auth") && auth_like(n) && n != "AuthManagerLayer",
    ) {
        return true;
    }
    let text = file.node_text(arg);
    text.contains("ValidateRequestHeaderLayer::bearer")
        || text.contains("ValidateRequestHeaderLayer::basic")
        || nodes.iter().any(|n| {
            n.kind() == "macro_invocation"
                && n.child_by_field_name("macro").is_some_and(|m| {
                    matches!(file.node_text(m), "login_required" | "permission_required")
                })
        })
}

/// Paths that are public on purpose in most apps, so a route after the auth layer is not
/// reported for them.
fn public_path(path: &str) -> bool {
    const PUBLIC: &[&str] = &[
        "health",
        "healthz",
        "healthcheck",
        "ready",
        "readyz",
        "live",
        "livez",
        "ping",
        "status",
        "metrics",
        "version",
        "login",
        "signin",
        "sign-in",
        "signup",
        "sign-up",
        "register",
        "logout",
        "public",
        "docs",
        "openapi.json",
        "swagger-ui",
        ".well-known",
        "jwks",
        "jwks.json",
        "favicon.ico",
        "callback",
        "refresh",
        "token",
        "webhook",
        "webhooks",
        "forgot-password",
        "reset-password",
        "verify-email",
    ];
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments.is_empty() || segments.iter().any(|s| PUBLIC.contains(s))
}

fn axum(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    for top in nodes_of(file, &["call_expression"]) {
        if !is_chain_top(top) {
            continue;
        }
        let (root, links) = rust_chain(file, top);
        let auth_layers: Vec<usize> = links
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                matches!(l.method.as_str(), "layer" | "route_layer")
                    && arguments(l.call)
                        .first()
                        .is_some_and(|a| is_auth_layer(file, *a))
            })
            .map(|(i, _)| i)
            .collect();
        let Some(&first_layer) = auth_layers.first() else {
            continue;
        };
        let last_layer = *auth_layers.last().unwrap_or(&first_layer);
        let root_text: String = file
            .node_text(root)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let routes_before = links[..first_layer].iter().any(|l| {
            matches!(
                l.method.as_str(),
                "route" | "nest" | "merge" | "route_service" | "nest_service"
            )
        });
        if !routes_before
            && links[first_layer].method == "route_layer"
            && root.kind() == "call_expression"
            && (root_text == "Router::new()" || root_text == "axum::Router::new()")
        {
            let call = links[first_layer].call;
            let field = call
                .child_by_field_name("function")
                .and_then(|f| f.child_by_field_name("field"))
                .unwrap_or(call);
            out.push(
                Finding::new(
                    ID,
                    file,
                    field.start_byte()..call.end_byte(),
                    "`route_layer` on a router without routes: axum panics at start with `Adding a route_layer before any routes is a no-op`, and routes added afterwards are not protected",
                )
                .help("add the protected `.route(...)` calls before `.route_layer(...)`"),
            );
            continue;
        }
        for (i, link) in links.iter().enumerate() {
            if link.method != "route" || i < last_layer {
                continue;
            }
            let Some(path_node) = arguments(link.call).first().copied() else {
                continue;
            };
            let Some(path) = string_value(file, path_node) else {
                continue;
            };
            if public_path(&path) {
                continue;
            }
            let layer = &links[last_layer];
            let layer_name = layer.method.clone();
            // Display only: move `.route(..)` (with the whitespace before its dot) in front of
            // the layer.
            let segment = link.value.end_byte()..link.call.end_byte();
            let fix = Fix::display_only(
                format!("add the route before `.{layer_name}(...)`"),
                vec![
                    Edit::insert(
                        file,
                        layer.value.end_byte(),
                        file.slice(segment.clone()).to_owned(),
                    ),
                    Edit::delete(file, segment),
                ],
            );
            out.push(
                Finding::new(
                    ID,
                    file,
                    path_node.byte_range(),
                    format!(
                        "route {} is added after `.{layer_name}(...)` with the auth middleware (line {}): layers wrap only the routes that exist when they are called, so this route is not protected",
                        file.node_text(path_node),
                        layer.call.start_position().row + 1
                    ),
                )
                .help(format!(
                    "add the route before `.{layer_name}(...)`, or put public routes on their own router and `merge` it"
                ))
                .severity(Severity::Warning)
                .fix(fix),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rel: &str, text: &str) -> Vec<Finding> {
        let file = Rc::new(SourceFile::new(rel, text.to_owned()));
        let mut out = Vec::new();
        match file.lang {
            Lang::Python => fastapi(&file, &mut out),
            Lang::Rust => axum(&file, &mut out),
            _ => express(&file, &mut out),
        }
        out
    }

    fn apply(text: &str, finding: &Finding) -> String {
        let mut new = text.to_owned();
        let fix = finding.fix.as_ref().expect("a fix");
        let mut edits = fix.edits.clone();
        edits.sort_by_key(|e| (e.start, e.end));
        for edit in edits.iter().rev() {
            new.replace_range(edit.start..edit.end, &edit.text());
        }
        new
    }

    #[test]
    fn fastapi_shapes() {
        assert!(shadows("/{item_id}", "/stats"));
        assert!(shadows("/items/{id}", "/items/latest"));
        assert!(shadows("/{a}/{b}", "/x/{b}"));
        assert!(!shadows("/{id:int}", "/stats"));
        assert!(shadows("/{id:int}", "/42"));
        assert!(!shadows("/{p:path}", "/stats"));
        assert!(!shadows("/items/{id}", "/users/me"));
        assert!(!shadows("/{id}", "/a/b"));
        assert!(!shadows("/items/{id}", "/items/"));
        assert!(!shadows("/{id}", "/{other}"));
        assert!(!shadows("/stats", "/{id}"));
    }

    #[test]
    fn fastapi_moves_the_static_route_with_its_comment() {
        let text = "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get(\"/{item_id}\")\nasync def get_item(item_id: int):\n    return {}\n\n\n# Totals\n@router.get(\"/stats\")\nasync def stats():\n    return {}\n";
        let findings = run("items.py", text);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            apply(text, &findings[0]),
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n# Totals\n@router.get(\"/stats\")\nasync def stats():\n    return {}\n\n\n@router.get(\"/{item_id}\")\nasync def get_item(item_id: int):\n    return {}\n"
        );
        assert!(run("items.py", &apply(text, &findings[0])).is_empty());
    }

    #[test]
    fn fastapi_no_fix_when_a_dependency_is_defined_between() {
        let text = "from fastapi import APIRouter, Depends\n\nrouter = APIRouter()\n\n@router.get(\"/{item_id}\")\ndef get_item(item_id: int):\n    return {}\n\ndef service():\n    return 1\n\n@router.get(\"/stats\")\ndef stats(s=Depends(service)):\n    return {}\n\n@router.post(\"/stats\")\ndef other():\n    return {}\n";
        let findings = run("items.py", text);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].fix.is_none());
    }

    #[test]
    fn fastapi_other_router_or_method_is_fine() {
        let text = "from fastapi import APIRouter\n\nrouter = APIRouter()\nadmin = APIRouter()\n\n@router.get(\"/{item_id}\")\ndef get_item(item_id: int): ...\n\n@admin.get(\"/stats\")\ndef stats(): ...\n\n@router.delete(\"/stats\")\ndef drop(): ...\n\nrouter = APIRouter()\n\n@router.get(\"/stats\")\ndef again(): ...\n";
        assert!(run("items.py", text).is_empty());
    }

    #[test]
    fn express_body_parser_moves_after_the_handler() {
        let text = "import express from \"express\";\nimport cors from \"cors\";\nimport { toNodeHandler } from \"better-auth/node\";\nimport { auth } from \"./auth.js\";\n\nconst app = express();\n// JSON bodies\napp.use(express.json());\napp.use(cors({ origin: \"http://localhost:3000\", credentials: true }));\napp.all(\"/api/auth/*splat\", toNodeHandler(auth));\n\napp.listen(3000);\n";
        let findings = run("server.ts", text);
        assert_eq!(findings.len(), 1);
        let fixed = apply(text, &findings[0]);
        assert_eq!(
            fixed,
            "import express from \"express\";\nimport cors from \"cors\";\nimport { toNodeHandler } from \"better-auth/node\";\nimport { auth } from \"./auth.js\";\n\nconst app = express();\napp.use(cors({ origin: \"http://localhost:3000\", credentials: true }));\napp.all(\"/api/auth/*splat\", toNodeHandler(auth));\n// JSON bodies\napp.use(express.json());\n\napp.listen(3000);\n"
        );
        assert!(run("server.ts", &fixed).is_empty());
    }

    #[test]
    fn express_no_fix_past_a_route() {
        let text = "const express = require(\"express\");\nconst { toNodeHandler } = require(\"better-auth/node\");\nconst app = express();\napp.use(express.json());\napp.post(\"/api/items\", (req, res) => res.json(req.body));\napp.all(\"/api/auth/*\", toNodeHandler(auth));\n";
        let findings = run("server.js", text);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].fix.is_none());
    }

    #[test]
    fn express_custom_routes_move_before_the_catch_all() {
        let text = "import express, { json } from \"express\";\nimport { toNodeHandler } from \"better-auth/node\";\nconst app = express();\napp.all(\"/api/auth/*splat\", toNodeHandler(auth));\napp.get(\"/api/auth/me\", me);\napp.post(\"/api/auth/extra\", extra);\napp.use(json());\napp.get(\"/api/items\", items);\n";
        let findings = run("server.ts", text);
        assert_eq!(findings.len(), 2);
        let fixed = apply(text, &findings[0]);
        assert_eq!(
            fixed,
            "import express, { json } from \"express\";\nimport { toNodeHandler } from \"better-auth/node\";\nconst app = express();\napp.get(\"/api/auth/me\", me);\napp.post(\"/api/auth/extra\", extra);\napp.all(\"/api/auth/*splat\", toNodeHandler(auth));\napp.use(json());\napp.get(\"/api/items\", items);\n"
        );
        assert!(run("server.ts", &fixed).is_empty());
    }

    #[test]
    fn express_scoped_parser_is_fine() {
        let text = "import express from \"express\";\nimport { toNodeHandler } from \"better-auth/node\";\nconst app = express();\napp.use(\"/api/items\", express.json());\napp.all(\"/api/auth/*splat\", toNodeHandler(auth));\napp.use(express.json());\n";
        assert!(run("server.ts", text).is_empty());
    }

    #[test]
    fn axum_route_after_auth_layer() {
        let text = "use axum::{middleware, routing::get, Router};\n\npub fn router(state: AppState) -> Router<AppState> {\n    Router::new()\n        .route(\"/me\", get(me))\n        .route_layer(middleware::from_fn_with_state(state, require_auth))\n        .route(\"/items\", get(items))\n        .route(\"/health\", get(health))\n}\n";
        let findings = run("routes.rs", text);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            apply(text, &findings[0]),
            "use axum::{middleware, routing::get, Router};\n\npub fn router(state: AppState) -> Router<AppState> {\n    Router::new()\n        .route(\"/me\", get(me))\n        .route(\"/items\", get(items))\n        .route_layer(middleware::from_fn_with_state(state, require_auth))\n        .route(\"/health\", get(health))\n}\n"
        );
    }

    #[test]
    fn axum_other_layers_are_fine() {
        let text = "use axum::Router;\nfn app() -> Router {\n    Router::new()\n        .route(\"/a\", get(a))\n        .layer(CorsLayer::permissive())\n        .route(\"/b\", get(b))\n        .layer(Extension(author_repo))\n        .route(\"/c\", get(c))\n        .route_layer(from_fn(require_auth))\n}\n";
        assert!(run("lib.rs", text).is_empty());
    }
}
