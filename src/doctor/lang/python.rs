//! Python: call arguments, booleans, imports, and the dependencies a project declares in
//! requirements files (pyproject.toml and Pipfiles are in [`super::toml`]).

use tree_sitter::Node;

use super::{arguments, callee, descendants, nodes_of, string_value};
use std::rc::Rc;

use crate::doctor::facts::{CookieSyntax, CookieWrite, EnvFallback, FlagValue};
use crate::doctor::workspace::SourceFile;

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

/// PEP 503 name normalization.
pub fn normalize_py_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The distribution name at the start of a PEP 508 requirement (`passlib[bcrypt]>=1.7`).
pub fn pep508_name(spec: &str) -> Option<&str> {
    let spec = spec.trim_start();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    (!name.is_empty() && name.starts_with(|c: char| c.is_ascii_alphanumeric())).then_some(name)
}

/// `requirements.txt`, `requirements-dev.txt`, `requirements/base.txt`, `requirements.in`.
pub fn is_requirements_file(rel: &str) -> bool {
    let name = crate::discover::file_name(rel);
    let in_dir = crate::discover::file_name(crate::discover::parent(rel)) == "requirements";
    (name.ends_with(".txt") || name.ends_with(".in"))
        && (name.starts_with("requirements") || in_dir)
}

/// (normalized name, requirement span) of each requirement line; options (`-r`, `-e`,
/// `--hash`), comments and URLs without a name are skipped.
pub fn requirement_lines(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut continued = false;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let was_continued = continued;
        continued = line.trim_end().ends_with('\\');
        if was_continued {
            continue; // `--hash=...` lines after `name==1.0 \`
        }
        let indent = line.len() - line.trim_start().len();
        let body = &line[indent..];
        if body.is_empty() || body.starts_with('#') || body.starts_with('-') {
            continue;
        }
        let mut end = body.len();
        for stop in [" #", "\t#", ";", " --", " \\"] {
            if let Some(i) = body.find(stop) {
                end = end.min(i);
            }
        }
        if body.ends_with('\\') {
            end = end.min(body.len() - 1);
        }
        let requirement = body[..end].trim_end();
        let Some(name) = pep508_name(requirement) else {
            continue;
        };
        if requirement.contains("://") && !requirement.contains('@') {
            continue;
        }
        let at = start + indent;
        out.push((normalize_py_name(name), at..at + requirement.len()));
    }
    out
}

// ---- JWT decode calls and the names they use (jwt-verification, session-validation) ----

/// How a file reaches PyJWT's / python-jose's `decode`.
pub struct JwtNames {
    /// Local names of the `jwt` module: (name, is python-jose).
    modules: Vec<(String, bool)>,
    /// Local names of `decode` itself: (name, is python-jose).
    functions: Vec<(String, bool)>,
}

impl JwtNames {
    /// Whether the file imports neither module nor function.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty() && self.functions.is_empty()
    }
}

pub fn jwt_names(file: &SourceFile) -> JwtNames {
    let mut names = JwtNames {
        modules: Vec::new(),
        functions: Vec::new(),
    };
    for (path, local) in file.py_imports().iter().cloned() {
        match path.as_str() {
            "jwt" => names.modules.push((local, false)),
            "jose.jwt" => {
                names.modules.push((local, true));
                names.modules.push(("jose.jwt".to_owned(), true));
            }
            "jwt.decode" | "jwt.decode_complete" => names.functions.push((local, false)),
            "jose.jwt.decode" => names.functions.push((local, true)),
            _ => {}
        }
    }
    names
}

/// `Some(is_jose)` when `call` is PyJWT's or python-jose's decode.
pub fn decode_call(file: &SourceFile, names: &JwtNames, call: Node<'_>) -> Option<bool> {
    let function = callee(file, call);
    if let Some((module, name)) = function.rsplit_once('.') {
        if matches!(name, "decode" | "decode_complete") {
            return names
                .modules
                .iter()
                .find(|(local, _)| local == module)
                .map(|(_, jose)| *jose);
        }
        return None;
    }
    names
        .functions
        .iter()
        .find(|(local, _)| local == function)
        .map(|(_, jose)| *jose)
}

/// String elements of a list, tuple or set literal; `None` if any element is not a string.
pub fn string_list(file: &SourceFile, node: Node<'_>) -> Option<Vec<String>> {
    if !matches!(node.kind(), "list" | "tuple" | "set") {
        return None;
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .map(|n| string_value(file, n))
        .collect()
}

/// The enclosing function definition, or the module.
pub fn py_scope(node: Node<'_>) -> Node<'_> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(parent.kind(), "function_definition" | "lambda") {
            return parent;
        }
        current = parent;
    }
    current
}

/// `name = value` assignments directly in `scope` (not in nested functions).
pub fn scope_assignments<'t>(file: &SourceFile, scope: Node<'t>) -> Vec<(String, Node<'t>)> {
    descendants(scope)
        .into_iter()
        .filter(|n| n.kind() == "assignment" && py_scope(*n).id() == scope.id())
        .filter_map(|n| {
            let left = n.child_by_field_name("left")?;
            let right = n.child_by_field_name("right")?;
            (left.kind() == "identifier").then(|| (file.node_text(left).to_owned(), right))
        })
        .collect()
}

/// Follow a name to its one assignment in the enclosing function, else at module level.
pub fn py_resolve<'t>(file: &SourceFile, node: Node<'t>) -> Node<'t> {
    if node.kind() != "identifier" {
        return node;
    }
    let name = file.node_text(node);
    let mut scope = py_scope(node);
    loop {
        let found: Vec<Node<'t>> = scope_assignments(file, scope)
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, value)| value)
            .collect();
        match found.as_slice() {
            [one] => return *one,
            [] if scope.parent().is_some() => scope = py_scope(scope),
            _ => return node,
        }
    }
}

// ---- Cookie writes (cookie-flags) ----

/// A keyword argument's boolean as written.
fn keyword_flag(file: &SourceFile, call: Node<'_>, name: &str) -> FlagValue {
    match py_keyword(file, call, name) {
        None => FlagValue::Absent,
        Some(value) => match py_bool(file, value) {
            Some(b) => FlagValue::Literal(b, value.byte_range()),
            None => FlagValue::Dynamic,
        },
    }
}

/// `response.set_cookie(...)` / `response.delete_cookie(...)` with keyword flags.
pub fn cookie_writes(file: &Rc<SourceFile>) -> Vec<CookieWrite> {
    let mut writes = Vec::new();
    for call in nodes_of(file, &["call"]) {
        let name = super::callee_name(file, call);
        if !matches!(name, "set_cookie" | "delete_cookie") || !callee(file, call).contains('.') {
            continue;
        }
        let args = arguments(call);
        if args
            .iter()
            .any(|a| matches!(a.kind(), "list_splat" | "dictionary_splat"))
        {
            continue; // `**cookie_options`: the flags are elsewhere
        }
        // Starlette: set_cookie(key, value, max_age, expires, path, domain, secure, ...);
        // delete_cookie(key, path, domain, secure, ...): positional flags are not worth guessing.
        let positional = py_positional(call);
        let flag_position = if name == "set_cookie" { 6 } else { 3 };
        if positional.len() > flag_position {
            continue;
        }
        let cookie_name = positional
            .first()
            .copied()
            .or_else(|| py_keyword(file, call, "key"))
            .or_else(|| py_keyword(file, call, "name"))
            .map(|n| string_value(file, n).unwrap_or_else(|| file.node_text(n).to_owned()));
        // `max_age=0` or an `expires` in 1970: a deletion written as a set.
        let expiring = py_keyword(file, call, "max_age").is_some_and(|v| file.node_text(v) == "0")
            || py_keyword(file, call, "expires").is_some_and(|v| {
                file.node_text(v) == "0"
                    || string_value(file, v).is_some_and(|e| e.contains("1970"))
            });
        let same_site_none = py_keyword(file, call, "samesite")
            .filter(|v| string_value(file, *v).is_some_and(|s| s.eq_ignore_ascii_case("none")))
            .zip(py_keyword_arg(file, call, "samesite"))
            .map(|(value, arg)| (value.byte_range(), arg.byte_range()));
        writes.push(CookieWrite {
            file: file.clone(),
            syntax: CookieSyntax::Python(name.to_owned()),
            name: cookie_name,
            removal: name == "delete_cookie" || expiring,
            same_site_none,
            secure: keyword_flag(file, call, "secure"),
            http_only: keyword_flag(file, call, "httponly"),
        });
    }
    writes
}

/// Env variables read by name: `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")`.
pub fn env_reads(file: &SourceFile) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for node in nodes_of(file, &["subscript", "call"]) {
        let (target, key) = if node.kind() == "subscript" {
            (
                node.child_by_field_name("value"),
                node.child_by_field_name("subscript"),
            )
        } else {
            (
                node.child_by_field_name("function"),
                arguments(node).first().copied(),
            )
        };
        let Some(target) = target else { continue };
        let allowed = match node.kind() {
            "subscript" => ["os.environ", "environ"].contains(&file.node_text(target)),
            _ => ["os.environ.get", "os.getenv", "getenv", "environ.get"]
                .contains(&file.node_text(target)),
        };
        if let Some(key) = key.filter(|_| allowed).and_then(|k| string_value(file, k)) {
            out.push((key, node.byte_range()));
        }
    }
    out
}

/// Whether `class` derives from pydantic's `BaseSettings`: its fields are read from env
/// variables of the same name.
pub fn is_settings_class(file: &SourceFile, class: Node<'_>) -> bool {
    class
        .child_by_field_name("superclasses")
        .is_some_and(|bases| file.node_text(bases).contains("BaseSettings"))
}

/// A non-empty string literal (no interpolation).
fn literal(file: &SourceFile, node: Node<'_>) -> bool {
    string_value(file, node).is_some_and(|v| !v.is_empty())
}

/// Reads of signing secrets with a literal default: `os.getenv("X", "…")`,
/// `os.environ.get("X", "…")` (positional or `default=`), and fields of a pydantic
/// `BaseSettings` class with a literal default (`jwt_secret: str = "…"`,
/// `jwt_secret: str = Field("…")` / `Field(default="…")`), which the settings read from the
/// variable of the field's name.
pub fn env_fallbacks(file: &Rc<SourceFile>) -> Vec<EnvFallback> {
    let secret = |key: &str| crate::secret::is_signing_secret_name(key);
    let mut out = Vec::new();
    for call in nodes_of(file, &["call"]) {
        let Some(function) = call.child_by_field_name("function") else {
            continue;
        };
        if !["os.environ.get", "os.getenv", "getenv", "environ.get"]
            .contains(&file.node_text(function))
        {
            continue;
        }
        let positional = py_positional(call);
        let Some(key) = positional.first().and_then(|k| string_value(file, *k)) else {
            continue;
        };
        let default = positional.get(1).map(|d| (*d, *d)).or_else(|| {
            Some((
                py_keyword_arg(file, call, "default")?,
                py_keyword(file, call, "default")?,
            ))
        });
        let Some((item, value)) = default.filter(|(_, v)| literal(file, *v)) else {
            continue;
        };
        if secret(&key) {
            let removal = crate::doctor::edits::remove_item(file, item);
            out.push(EnvFallback {
                file: file.clone(),
                key,
                read: call.byte_range(),
                literal: value.byte_range(),
                removal: Some((removal.start..removal.end, String::new())),
            });
        }
    }
    for class in nodes_of(file, &["class_definition"]) {
        let Some(body) = class
            .child_by_field_name("body")
            .filter(|_| is_settings_class(file, class))
        else {
            continue;
        };
        let mut cursor = body.walk();
        for statement in body.named_children(&mut cursor) {
            let Some(assign) = statement
                .named_child(0)
                .filter(|a| statement.kind() == "expression_statement" && a.kind() == "assignment")
            else {
                continue;
            };
            let Some([left, right]) = super::fields(assign, ["left", "right"]) else {
                continue;
            };
            let key = file.node_text(left).to_ascii_uppercase();
            if left.kind() != "identifier" || !secret(&key) {
                continue;
            }
            let annotation = assign.child_by_field_name("type");
            let (value, removal) = if literal(file, right) {
                // `x: str = "…"` → `x: str`; without an annotation there is no field left.
                (right, annotation.map(|t| t.end_byte()..right.end_byte()))
            } else if right.kind() == "call" && callee(file, right) == "Field" {
                let first = py_positional(right).first().copied();
                let default = first.map(|d| (d, d)).or_else(|| {
                    Some((
                        py_keyword_arg(file, right, "default")?,
                        py_keyword(file, right, "default")?,
                    ))
                });
                let Some((item, value)) = default.filter(|(_, v)| literal(file, *v)) else {
                    continue;
                };
                let edit = crate::doctor::edits::remove_item(file, item);
                (value, Some(edit.start..edit.end))
            } else {
                continue;
            };
            out.push(EnvFallback {
                file: file.clone(),
                key,
                read: left.byte_range(),
                literal: value.byte_range(),
                removal: removal.map(|r| (r, String::new())),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines_skip_options_comments_and_hash_continuations() {
        let text = "# deps\n-r base.txt\npython-jose[cryptography]==3.3.0  # jwt\n\
                    passlib[bcrypt]>=1.7 ; python_version >= \"3.8\"\nbcrypt==4.0.1 \\\n    --hash=sha256:abc\n\
                    Django_Extensions\n";
        let found = requirement_lines(text);
        let got: Vec<_> = found
            .iter()
            .map(|(n, s)| (n.as_str(), &text[s.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("python-jose", "python-jose[cryptography]==3.3.0"),
                ("passlib", "passlib[bcrypt]>=1.7"),
                ("bcrypt", "bcrypt==4.0.1"),
                ("django-extensions", "Django_Extensions"),
            ]
        );
    }
}
