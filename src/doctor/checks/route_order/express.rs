//! Express: body parsers mounted before the Better Auth handler, custom routes under its
//! prefix registered after its catch-all.

use std::collections::HashSet;
use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang::fields;
use crate::doctor::lang::js::JsBinding;
use crate::doctor::lang::{arguments, callee, callee_name, descendants, nodes_of, string_value};
use crate::doctor::workspace::SourceFile;

use super::{ID, as_lines, block, statements};

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
            let Some([object, property]) = fields(function, ["object", "property"]) else {
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

pub(super) fn express(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let bindings = file.js_bindings();
    if !bindings.iter().any(|b| b.module == "express") {
        return;
    }
    let newline = crate::doctor::edits::newline(file);
    let mut seen_parents = HashSet::new();
    for call in nodes_of(file, &["call_expression"]) {
        if callee_name(file, call) != "toNodeHandler" {
            continue;
        }
        let Some(stmt) = crate::doctor::lang::statement_of(call) else {
            continue;
        };
        let Some(parent) = stmt.parent() else {
            continue;
        };
        if seen_parents.insert(parent.id()) {
            express_block(file, parent, bindings, newline, out);
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
