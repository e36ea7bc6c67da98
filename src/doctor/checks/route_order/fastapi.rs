//! FastAPI: a path-parameter route declared before a static route it matches.

use std::collections::HashSet;
use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::edits::line_start;
use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang::fields;
use crate::doctor::lang::python::{py_keyword, py_positional};
use crate::doctor::lang::{descendants, nodes_of, string_value};
use crate::doctor::workspace::SourceFile;

use super::{ID, as_lines, block, statements};

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
        let Some([object, attr]) = fields(function, ["object", "attribute"]) else {
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
pub(super) fn shadows(earlier: &str, later: &str) -> bool {
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

pub(super) fn fastapi(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    if !file
        .py_imports()
        .iter()
        .any(|(path, _)| path == "fastapi" || path.starts_with("fastapi."))
    {
        return;
    }
    let newline = crate::doctor::edits::newline(file);
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
