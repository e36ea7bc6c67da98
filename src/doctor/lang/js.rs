//! JavaScript/TypeScript (and JSON objects): object properties, booleans, imports and the
//! names a file binds from modules.

use tree_sitter::Node;

use super::fields;
use super::{arguments, callee, descendants, nodes_of, string_value};
use std::rc::Rc;

use crate::doctor::facts::{CookieSyntax, CookieWrite, EnvFallback, FlagValue};
use crate::doctor::workspace::SourceFile;

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
                let Some([name, value]) = fields(node, ["name", "value"]) else {
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

/// A boolean option of an object literal as written.
fn flag(file: &SourceFile, object: Node<'_>, key: &str) -> FlagValue {
    match property(file, object, key) {
        None => FlagValue::Absent,
        Some(value) => match value.kind() {
            "true" => FlagValue::Literal(true, value.byte_range()),
            "false" => FlagValue::Literal(false, value.byte_range()),
            _ => FlagValue::Dynamic,
        },
    }
}

/// Cookie calls with an options object: Express `res.cookie(name, value, options)` /
/// `res.clearCookie(name, options)`, Next.js `cookies().set(name, value, options)`, Hono
/// `setCookie(c, name, value, options)` / `deleteCookie(c, name, options)`,
/// `cookie.serialize(name, value, options)`.
pub fn cookie_writes(file: &Rc<SourceFile>) -> Vec<CookieWrite> {
    let mut writes = Vec::new();
    for call in nodes_of(file, &["call_expression"]) {
        let name = super::callee_name(file, call);
        if !matches!(
            name,
            "cookie" | "clearCookie" | "set" | "setCookie" | "deleteCookie" | "serialize"
        ) {
            continue;
        }
        let args = arguments(call);
        let Some(options) = args
            .last()
            .filter(|a| a.kind() == "object" && args.len() >= 2)
        else {
            continue;
        };
        let mut cursor = options.walk();
        if options
            .named_children(&mut cursor)
            .any(|c| c.kind() == "spread_element")
        {
            continue;
        }
        // Hono passes the context first: setCookie(c, name, value, options).
        let name_arg = if matches!(name, "setCookie" | "deleteCookie") {
            args.get(1)
        } else {
            args.first()
        };
        // `maxAge: 0` / `expires: new Date(0)`: a deletion written as a set.
        let expiring = property(file, *options, "maxAge").is_some_and(|v| file.node_text(v) == "0")
            || property(file, *options, "expires")
                .is_some_and(|v| matches!(file.node_text(v), "new Date(0)" | "0"));
        let same_site_none = property(file, *options, "sameSite")
            .filter(|v| string_value(file, *v).is_some_and(|s| s.eq_ignore_ascii_case("none")))
            .zip(property_pair(file, *options, "sameSite"))
            .map(|(value, pair)| (value.byte_range(), pair.byte_range()));
        writes.push(CookieWrite {
            file: file.clone(),
            syntax: CookieSyntax::Js,
            name: name_arg
                .map(|n| string_value(file, *n).unwrap_or_else(|| file.node_text(*n).to_owned())),
            removal: matches!(name, "clearCookie" | "deleteCookie") || expiring,
            same_site_none,
            secure: flag(file, *options, "secure"),
            http_only: flag(file, *options, "httpOnly"),
        });
    }
    writes
}

/// Env variables read by name: `process.env.X`, `process.env["X"]`.
pub fn env_reads(file: &SourceFile) -> Vec<(String, std::ops::Range<usize>)> {
    nodes_of(file, &["member_expression", "subscript_expression"])
        .into_iter()
        .filter_map(|member| Some((env_read_key(file, member)?, member.byte_range())))
        .collect()
}

/// The variable `node` reads when it is `process.env.X` or `process.env["X"]`.
fn env_read_key(file: &SourceFile, node: Node<'_>) -> Option<String> {
    if !matches!(node.kind(), "member_expression" | "subscript_expression") {
        return None;
    }
    let object = node.child_by_field_name("object")?;
    if file.node_text(object) != "process.env" {
        return None;
    }
    node.child_by_field_name("property")
        .map(|p| file.node_text(p).to_owned())
        .or_else(|| {
            node.child_by_field_name("index")
                .and_then(|i| string_value(file, i))
        })
}

/// A non-empty string literal (no interpolation).
fn literal(file: &SourceFile, node: Node<'_>) -> bool {
    string_value(file, node).is_some_and(|v| !v.is_empty())
}

/// Reads of signing secrets with a literal fallback: `process.env.X || "…"` and `?? "…"`
/// (also after other reads: `process.env.X ?? process.env.Y ?? "…"`), destructuring
/// defaults `const { X = "…" } = process.env`, and `.default("…")` on an object field named
/// for a signing secret (zod / t3-env schemas).
pub fn env_fallbacks(file: &Rc<SourceFile>) -> Vec<EnvFallback> {
    let secret = |key: &str| crate::secret::is_signing_secret_name(key);
    let mut out = Vec::new();
    let mut push =
        |key: String, read: Node<'_>, value: Node<'_>, removal: std::ops::Range<usize>| {
            out.push(EnvFallback {
                file: file.clone(),
                key,
                read: read.byte_range(),
                literal: value.byte_range(),
                removal: Some((removal, String::new())),
            });
        };
    for node in nodes_of(file, &["binary_expression", "variable_declarator", "pair"]) {
        match node.kind() {
            "binary_expression" => {
                let Some([left, operator, right]) = fields(node, ["left", "operator", "right"])
                else {
                    continue;
                };
                if !matches!(file.node_text(operator), "||" | "??") || !literal(file, right) {
                    continue;
                }
                // The operands before the literal: reads chained with `||` / `??`.
                let mut operands = vec![left];
                let mut reads = Vec::new();
                while let Some(operand) = operands.pop() {
                    match operand.kind() {
                        "parenthesized_expression" => {
                            operands.extend(operand.named_child(0));
                        }
                        "binary_expression"
                            if operand
                                .child_by_field_name("operator")
                                .is_some_and(|o| matches!(file.node_text(o), "||" | "??")) =>
                        {
                            operands.extend(operand.child_by_field_name("right"));
                            operands.extend(operand.child_by_field_name("left"));
                        }
                        _ => reads.extend(env_read_key(file, operand).map(|key| (key, operand))),
                    }
                }
                if let Some((key, read)) = reads.into_iter().find(|(key, _)| secret(key)) {
                    push(key, read, right, left.end_byte()..right.end_byte());
                }
            }
            "variable_declarator" => {
                let Some([name, value]) = fields(node, ["name", "value"]) else {
                    continue;
                };
                if name.kind() != "object_pattern" || file.node_text(value) != "process.env" {
                    continue;
                }
                let mut cursor = name.walk();
                for prop in name.named_children(&mut cursor) {
                    // `{ X = "…" }` and `{ X: local = "…" }`
                    let (key, assignment) = match prop.kind() {
                        "object_assignment_pattern" => match prop.child_by_field_name("left") {
                            Some(left) => (file.node_text(left).to_owned(), prop),
                            None => continue,
                        },
                        "pair_pattern" => match fields(prop, ["key", "value"]) {
                            Some([key, value]) if value.kind() == "assignment_pattern" => {
                                (property_key(file, key), value)
                            }
                            _ => continue,
                        },
                        _ => continue,
                    };
                    let Some([left, right]) = fields(assignment, ["left", "right"]) else {
                        continue;
                    };
                    if secret(&key) && literal(file, right) {
                        push(key, left, right, left.end_byte()..right.end_byte());
                    }
                }
            }
            _ => {
                let Some([key, value]) = fields(node, ["key", "value"]) else {
                    continue;
                };
                let key_name = property_key(file, key);
                if !secret(&key_name) {
                    continue;
                }
                // The schema chain of this field only: `z.string().min(32).default("…")`.
                let mut link = Some(value);
                while let Some(call) = link.filter(|n| n.kind() == "call_expression") {
                    let function = call.child_by_field_name("function");
                    let object = function
                        .filter(|f| f.kind() == "member_expression")
                        .and_then(|f| f.child_by_field_name("object"));
                    let args = arguments(call);
                    if super::callee_name(file, call) == "default"
                        && let (Some(object), [default]) = (object, args.as_slice())
                        && literal(file, *default)
                    {
                        push(
                            key_name.clone(),
                            key,
                            *default,
                            object.end_byte()..call.end_byte(),
                        );
                        break;
                    }
                    link = object;
                }
            }
        }
    }
    out
}
