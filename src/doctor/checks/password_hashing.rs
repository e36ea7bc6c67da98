//! `password-hashing`: passwords stored with passlib, a fast hash, a low bcrypt cost, or
//! compared in plaintext. Display-only: changing the scheme needs a rehash-on-sign-in plan.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/password-hashing.md`.

use tree_sitter::Node;

use crate::doctor::facts;
use crate::doctor::finding::Finding;
use crate::doctor::lang;
use crate::doctor::lang::fields;
use crate::doctor::lang::python::{py_keyword, py_positional};
use crate::doctor::lang::{arguments, callee, callee_name, descendants, nodes_of, string_value};
use crate::doctor::workspace::{Lang, SourceFile, Workspace};

use super::Check;

pub struct PasswordHashing;

const ID: &str = "password-hashing";

const PASSLIB_IMPORTED: &str = "passlib is imported: it is unmaintained (last release 2020) and breaks with current bcrypt (`module 'bcrypt' has no attribute '__about__'`; with bcrypt 5 every hash fails with `password cannot be longer than 72 bytes`)";
const PASSLIB_DECLARED: &str = "passlib is a declared dependency: it is unmaintained (last release 2020) and breaks with bcrypt 4.1+ and 5";
const PASSLIB_HELP: &str = "hash with argon2id (argon2-cffi `PasswordHasher()`, or pwdlib[argon2]); keep verifying old `$2b$` hashes with `bcrypt.checkpw` and rehash them on sign-in";
const FAST_HASH_HELP: &str = "hash passwords with argon2id (argon2-cffi / the `argon2` crate / Better Auth's default scrypt); verify old hashes once and rehash on sign-in";
const LOW_COST_HELP: &str = "use a bcrypt cost of at least 10 (12 is common), or argon2id";
const PLAINTEXT: &str = "passwords are compared in plaintext: the stored password is readable by anyone with the database, its backups or logs";
const PLAINTEXT_HELP: &str =
    "store an argon2id hash and check with the hasher's `verify` (constant time), never `==`";

impl Check for PasswordHashing {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    for file in ws.sources_in(&[Lang::Python]) {
        if lang::is_test_path(&file.rel) {
            continue;
        }
        python(&file, out);
        comparisons(&file, out);
    }
    for dep in facts::python_dependencies(ws) {
        if dep.name == "passlib" {
            out.push(
                Finding::new(ID, &dep.file, dep.span.clone(), PASSLIB_DECLARED).help(PASSLIB_HELP),
            );
        }
    }
    for file in ws.sources_in(&[Lang::TypeScript, Lang::Tsx, Lang::JavaScript]) {
        let lower = file.text.to_ascii_lowercase();
        if lang::is_test_path(&file.rel)
            || !["pass", "pwd", "bcrypt"].iter().any(|w| lower.contains(w))
        {
            continue;
        }
        javascript(&file, out);
        comparisons(&file, out);
    }
    for file in ws.sources_in(&[Lang::Rust]) {
        if lang::is_test_path(&file.rel) {
            continue;
        }
        rust(&file, out);
        comparisons(&file, out);
    }
}

// ---- names ----

/// Words of an identifier: `newPassword` → [new, password], `user_in` → [user, in].
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a name holds a password itself: `password`, `new_password`, `plainPassword`,
/// `passwd`, `pwd` — not `password_hash`, `reset_password_token`, `password_confirm`,
/// `PASSWORD_MIN_LENGTH`, `email`.
fn is_password_name(name: &str) -> bool {
    if name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
    {
        return false; // a constant or setting: ADMIN_PASSWORD, PASSWORD_MIN_LENGTH
    }
    let lower = name.to_ascii_lowercase();
    let words = words(name);
    let positive = lower.contains("password")
        || lower.contains("passwd")
        || lower.contains("passphrase")
        || words.iter().any(|w| w == "pwd");
    let negative_parts = [
        "hash", "digest", "token", "reset", "email", "salt", "otp", "confirm", "repeat", "retype",
        "again", "verif", "encrypt", "cipher",
    ];
    let negative_words = [
        "key",
        "code",
        "link",
        "url",
        "len",
        "length",
        "policy",
        "hint",
        "field",
        "min",
        "max",
        "id",
        "at",
        "error",
        "errors",
        "message",
        "label",
        "regex",
        "pattern",
        "strength",
        "score",
        "rules",
        "schema",
        "input",
        "placeholder",
        "expires",
        "expiry",
        "changed",
        "updated",
        "set",
        "required",
        "enabled",
        "visible",
        "show",
        "context",
        "ctx",
        "hasher",
    ];
    positive
        && !negative_parts.iter().any(|p| lower.contains(p))
        && !words.iter().any(|w| negative_words.contains(&w.as_str()))
}

/// Identifiers and attribute/field/property names in `node` that hold a password.
fn mentions_password(file: &SourceFile, node: Node<'_>) -> bool {
    descendants(node).into_iter().any(|n| {
        matches!(
            n.kind(),
            "identifier"
                | "property_identifier"
                | "field_identifier"
                | "shorthand_property_identifier"
                | "shorthand_property_identifier_pattern"
        ) && is_password_name(file.node_text(n))
            && !is_callee_name(n)
    })
}

/// Whether an identifier is the name of a called function or method (`check_password(...)`).
fn is_callee_name(node: Node<'_>) -> bool {
    let mut current = node;
    if let Some(parent) = node.parent() {
        let name_field = match parent.kind() {
            "attribute" => "attribute",
            "member_expression" => "property",
            "field_expression" => "field",
            "scoped_identifier" => "name",
            _ => "",
        };
        if !name_field.is_empty() {
            if parent
                .child_by_field_name(name_field)
                .is_none_or(|n| n.id() != node.id())
            {
                return false; // the object of `password.encode()`, not the method
            }
            current = parent;
        }
    }
    current.parent().is_some_and(|call| {
        matches!(call.kind(), "call" | "call_expression")
            && call
                .child_by_field_name("function")
                .is_some_and(|f| f.id() == current.id())
    })
}

/// The enclosing function (any language), or the root.
fn function_scope(node: Node<'_>) -> Node<'_> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(
            parent.kind(),
            "function_definition"
                | "function_declaration"
                | "function_expression"
                | "arrow_function"
                | "method_definition"
                | "function_item"
                | "closure_expression"
        ) {
            return parent;
        }
        current = parent;
    }
    current
}

/// Whether the function around `node` also runs a slow password hash (so a fast hash there is
/// a pre-hash, e.g. SHA-256 before bcrypt's 72-byte limit).
fn slow_hash_nearby(file: &SourceFile, node: Node<'_>) -> bool {
    let scope = function_scope(node);
    if scope.parent().is_none() {
        return false;
    }
    descendants(scope).into_iter().any(|n| {
        if !matches!(n.kind(), "call" | "call_expression") {
            return false;
        }
        let function = callee(file, n).to_ascii_lowercase();
        let name = callee_name(file, n);
        function.starts_with("bcrypt")
            || function.contains("argon2")
            || function.contains("passwordhasher")
            || matches!(
                name,
                "hashpw"
                    | "checkpw"
                    | "kdf"
                    | "pbkdf2_hmac"
                    | "scrypt"
                    | "scryptSync"
                    | "pbkdf2"
                    | "pbkdf2Sync"
                    | "hash_secret"
                    | "hash_secret_raw"
                    | "hash_password"
                    | "hash_password_into"
            )
    })
}

/// Whether the function around `node` checks the password against Have I Been Pwned, whose
/// range API takes the SHA-1 of the password: that hash is a lookup key, never stored.
fn breach_lookup(file: &SourceFile, node: Node<'_>) -> bool {
    let scope = function_scope(node);
    descendants(scope).into_iter().any(|n| match n.kind() {
        "string" | "template_string" | "string_literal" | "string_content" | "string_fragment" => {
            file.node_text(n).contains("pwnedpasswords")
        }
        "identifier" | "property_identifier" | "field_identifier" => {
            file.node_text(n).to_ascii_lowercase().contains("pwned")
        }
        _ => false,
    })
}

/// A fast hash applied to a password that is not a pre-hash or a breach lookup.
fn weak_hash_use(file: &SourceFile, node: Node<'_>) -> bool {
    !slow_hash_nearby(file, node) && !breach_lookup(file, node)
}

fn fast_hash_message(algorithm: &str) -> String {
    format!(
        "a password is hashed with {algorithm}, a fast hash: one GPU tries billions of guesses a second, so leaked hashes fall to dictionary attacks"
    )
}

/// An integer literal, or a name bound once to one in the file (`BCRYPT_ROUNDS = 8`,
/// `const ROUNDS = 8`, `const COST: u32 = 8;`).
fn integer(file: &SourceFile, node: Node<'_>) -> Option<u32> {
    let text = file.node_text(node);
    match node.kind() {
        "integer" | "number" | "integer_literal" => {
            let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse().ok()
        }
        "identifier" => {
            let mut values = Vec::new();
            for binding in nodes_of(file, &["assignment", "variable_declarator", "const_item"]) {
                let (name, value) = match binding.kind() {
                    "assignment" => (
                        binding.child_by_field_name("left"),
                        binding.child_by_field_name("right"),
                    ),
                    "variable_declarator" => (
                        binding.child_by_field_name("name"),
                        binding.child_by_field_name("value"),
                    ),
                    _ => (
                        binding.child_by_field_name("name"),
                        binding.child_by_field_name("value"),
                    ),
                };
                if let (Some(name), Some(value)) = (name, value) {
                    if file.node_text(name) == text {
                        values.push(value);
                    }
                }
            }
            match values.as_slice() {
                [one] if one.kind() != "identifier" => integer(file, *one),
                _ => None,
            }
        }
        _ => None,
    }
}

fn low_cost(file: &SourceFile, node: Node<'_>, what: &str, out: &mut Vec<Finding>) {
    let Some(cost) = integer(file, node) else {
        return;
    };
    if cost < 10 {
        out.push(
            Finding::new(
                ID,
                file,
                node.byte_range(),
                format!(
                    "{what} cost {cost}: 2^{cost} rounds is fast enough to brute-force leaked hashes (use at least 10)"
                ),
            )
            .help(LOW_COST_HELP),
        );
    }
}

// ---- Python ----

const PY_FAST: &[&str] = &[
    "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b",
    "blake2s",
];

fn python(file: &SourceFile, out: &mut Vec<Finding>) {
    let imports = file.py_imports();
    // passlib imported
    for statement in nodes_of(file, &["import_statement", "import_from_statement"]) {
        let modules: Vec<Node<'_>> = if statement.kind() == "import_from_statement" {
            statement
                .child_by_field_name("module_name")
                .into_iter()
                .collect()
        } else {
            let mut cursor = statement.walk();
            statement
                .children_by_field_name("name", &mut cursor)
                .map(|n| n.child_by_field_name("name").unwrap_or(n))
                .collect()
        };
        if let Some(module) = modules.into_iter().find(|m| {
            let text = file.node_text(*m);
            text == "passlib" || text.starts_with("passlib.")
        }) {
            out.push(
                Finding::new(ID, file, module.byte_range(), PASSLIB_IMPORTED).help(PASSLIB_HELP),
            );
        }
    }
    let hashlib_modules: Vec<&str> = imports
        .iter()
        .filter(|(path, _)| path == "hashlib")
        .map(|(_, local)| local.as_str())
        .collect();
    let hashlib_function = |function: &str| -> Option<String> {
        if let Some((module, name)) = function.rsplit_once('.') {
            return (hashlib_modules.contains(&module)
                && (PY_FAST.contains(&name) || name == "new"))
                .then(|| name.to_owned());
        }
        imports.iter().find_map(|(path, local)| {
            let name = path.strip_prefix("hashlib.")?;
            (local == function && (PY_FAST.contains(&name) || name == "new"))
                .then(|| name.to_owned())
        })
    };
    let bcrypt_modules: Vec<&str> = imports
        .iter()
        .filter(|(path, _)| path == "bcrypt" || path == "passlib.hash.bcrypt")
        .map(|(_, local)| local.as_str())
        .collect();
    let gensalt_names: Vec<&str> = imports
        .iter()
        .filter(|(path, _)| path == "bcrypt.gensalt")
        .map(|(_, local)| local.as_str())
        .collect();
    // Names assigned a hashlib object, per function: `h = hashlib.sha256()`.
    let mut hashers: Vec<(usize, String, String)> = Vec::new();
    for assign in nodes_of(file, &["assignment"]) {
        let Some([left, right]) = fields(assign, ["left", "right"]) else {
            continue;
        };
        if left.kind() == "identifier" && right.kind() == "call" {
            if let Some(algorithm) = hashlib_function(callee(file, right)) {
                let algorithm = hashlib_algorithm(file, right, &algorithm);
                hashers.push((
                    function_scope(assign).id(),
                    file.node_text(left).to_owned(),
                    algorithm,
                ));
            }
        }
    }
    for call in nodes_of(file, &["call"]) {
        let function = callee(file, call);
        let name = callee_name(file, call);
        let positional = py_positional(call);
        // hashlib.sha256(password), hashlib.new("md5", password)
        if let Some(ctor) = hashlib_function(function) {
            let algorithm = hashlib_algorithm(file, call, &ctor);
            let data = if ctor == "new" {
                positional
                    .get(1)
                    .copied()
                    .or_else(|| py_keyword(file, call, "data"))
            } else {
                positional
                    .first()
                    .copied()
                    .or_else(|| py_keyword(file, call, "data"))
            };
            if data.is_some_and(|d| mentions_password(file, d))
                && PY_FAST.contains(&algorithm.as_str())
                && weak_hash_use(file, call)
            {
                let target = call.child_by_field_name("function").unwrap_or(call);
                out.push(
                    Finding::new(ID, file, target.byte_range(), fast_hash_message(&algorithm))
                        .help(FAST_HASH_HELP),
                );
            }
            continue;
        }
        // h.update(password) / hashlib.sha256().update(password)
        if name == "update" {
            let Some(object) = call
                .child_by_field_name("function")
                .and_then(|f| f.child_by_field_name("object"))
            else {
                continue;
            };
            let algorithm = match object.kind() {
                "call" => hashlib_function(callee(file, object))
                    .map(|ctor| hashlib_algorithm(file, object, &ctor)),
                "identifier" => {
                    let scope = function_scope(call).id();
                    hashers
                        .iter()
                        .find(|(s, n, _)| *s == scope && n == file.node_text(object))
                        .map(|(_, _, a)| a.clone())
                }
                _ => None,
            };
            if let Some(algorithm) = algorithm {
                if PY_FAST.contains(&algorithm.as_str())
                    && positional
                        .first()
                        .is_some_and(|d| mentions_password(file, *d))
                    && weak_hash_use(file, call)
                {
                    let target = call.child_by_field_name("function").unwrap_or(call);
                    out.push(
                        Finding::new(ID, file, target.byte_range(), fast_hash_message(&algorithm))
                            .help(FAST_HASH_HELP),
                    );
                }
            }
            continue;
        }
        // bcrypt.gensalt(rounds=8) / gensalt(8)
        let is_gensalt = function
            .rsplit_once('.')
            .is_some_and(|(module, n)| n == "gensalt" && bcrypt_modules.contains(&module))
            || gensalt_names.contains(&function);
        if is_gensalt {
            if let Some(rounds) =
                py_keyword(file, call, "rounds").or_else(|| positional.first().copied())
            {
                low_cost(file, rounds, "bcrypt", out);
            }
            continue;
        }
        // passlib: CryptContext(bcrypt__rounds=8), bcrypt.using(rounds=8)
        if name == "CryptContext" {
            for key in ["bcrypt__rounds", "bcrypt__default_rounds"] {
                if let Some(rounds) = py_keyword(file, call, key) {
                    low_cost(file, rounds, "bcrypt", out);
                }
            }
        }
        if function
            .rsplit_once('.')
            .is_some_and(|(module, n)| n == "using" && bcrypt_modules.contains(&module))
        {
            if let Some(rounds) = py_keyword(file, call, "rounds") {
                low_cost(file, rounds, "bcrypt", out);
            }
        }
    }
}

/// `hashlib.new("sha1", ...)` → `sha1`; otherwise the constructor's own name.
fn hashlib_algorithm(file: &SourceFile, call: Node<'_>, ctor: &str) -> String {
    if ctor != "new" {
        return ctor.to_owned();
    }
    py_positional(call)
        .first()
        .and_then(|n| string_value(file, *n))
        .map(|s| s.to_ascii_lowercase().replace('-', "_"))
        .unwrap_or_default()
}

// ---- JavaScript / TypeScript ----

/// Local names bound to a module: namespace/default imports and named imports
/// (imported name, local name), from `import` and `require`.
fn js_bindings(file: &SourceFile, modules: &[&str]) -> (Vec<String>, Vec<(String, String)>) {
    let mut whole = Vec::new();
    let mut named = Vec::new();
    for statement in nodes_of(file, &["import_statement"]) {
        let from = statement
            .child_by_field_name("source")
            .and_then(|s| string_value(file, s));
        if !from.is_some_and(|m| modules.contains(&m.as_str())) {
            continue;
        }
        for node in descendants(statement) {
            match node.kind() {
                "import_clause" => {
                    let mut cursor = node.walk();
                    for child in node.named_children(&mut cursor) {
                        if child.kind() == "identifier" {
                            whole.push(file.node_text(child).to_owned());
                        }
                    }
                }
                "namespace_import" => {
                    if let Some(id) = descendants(node)
                        .into_iter()
                        .find(|n| n.kind() == "identifier")
                    {
                        whole.push(file.node_text(id).to_owned());
                    }
                }
                "import_specifier" => {
                    let name = node.child_by_field_name("name").map(|n| file.node_text(n));
                    let alias = node.child_by_field_name("alias").map(|n| file.node_text(n));
                    if let Some(name) = name {
                        named.push((name.to_owned(), alias.unwrap_or(name).to_owned()));
                    }
                }
                _ => {}
            }
        }
    }
    for declarator in nodes_of(file, &["variable_declarator"]) {
        let Some([name, value]) = fields(declarator, ["name", "value"]) else {
            continue;
        };
        let value = if value.kind() == "await_expression" {
            value.named_child(0).unwrap_or(value)
        } else {
            value
        };
        let required = value.kind() == "call_expression"
            && matches!(callee(file, value), "require" | "import")
            && arguments(value)
                .first()
                .and_then(|a| string_value(file, *a))
                .is_some_and(|m| modules.contains(&m.as_str()));
        if !required {
            continue;
        }
        match name.kind() {
            "identifier" => whole.push(file.node_text(name).to_owned()),
            "object_pattern" => {
                for prop in descendants(name) {
                    match prop.kind() {
                        "shorthand_property_identifier_pattern" => {
                            let n = file.node_text(prop).to_owned();
                            named.push((n.clone(), n));
                        }
                        "pair_pattern" => {
                            if let (Some(k), Some(v)) = (
                                prop.child_by_field_name("key"),
                                prop.child_by_field_name("value"),
                            ) {
                                named.push((
                                    file.node_text(k).to_owned(),
                                    file.node_text(v).to_owned(),
                                ));
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (whole, named)
}

fn javascript(file: &SourceFile, out: &mut Vec<Finding>) {
    // Names bound to `createHash(...)` results, per function scope.
    let mut hashers: Vec<(usize, String)> = Vec::new();
    for declarator in nodes_of(file, &["variable_declarator"]) {
        if let (Some(name), Some(value)) = (
            declarator.child_by_field_name("name"),
            declarator.child_by_field_name("value"),
        ) {
            if name.kind() == "identifier"
                && value.kind() == "call_expression"
                && callee_name(file, value) == "createHash"
            {
                hashers.push((
                    function_scope(declarator).id(),
                    file.node_text(name).to_owned(),
                ));
            }
        }
    }
    let (bcrypt_whole, bcrypt_named) = js_bindings(file, &["bcrypt", "bcryptjs"]);
    for call in nodes_of(file, &["call_expression"]) {
        let function = callee(file, call);
        let name = callee_name(file, call);
        let args = arguments(call);
        // createHash("sha256").update(password) / hash.update(password)
        if name == "update" {
            let object = call
                .child_by_field_name("function")
                .and_then(|f| f.child_by_field_name("object"));
            let hashing = object.is_some_and(|o| match o.kind() {
                "call_expression" => callee_name(file, o) == "createHash",
                "identifier" => {
                    let scope = function_scope(call).id();
                    hashers
                        .iter()
                        .any(|(s, n)| *s == scope && n == file.node_text(o))
                }
                _ => false,
            });
            if hashing
                && args.first().is_some_and(|a| mentions_password(file, *a))
                && weak_hash_use(file, call)
            {
                let algorithm = object
                    .filter(|o| o.kind() == "call_expression")
                    .and_then(|o| arguments(o).first().and_then(|a| string_value(file, *a)))
                    .unwrap_or_else(|| "createHash".to_owned());
                let target = call.child_by_field_name("function").unwrap_or(call);
                out.push(
                    Finding::new(ID, file, target.byte_range(), fast_hash_message(&algorithm))
                        .help(FAST_HASH_HELP),
                );
            }
            continue;
        }
        // crypto.subtle.digest("SHA-256", encoder.encode(password))
        if function.ends_with("subtle.digest") {
            if args.get(1).is_some_and(|a| mentions_password(file, *a)) && weak_hash_use(file, call)
            {
                let algorithm = args
                    .first()
                    .and_then(|a| string_value(file, *a))
                    .unwrap_or_else(|| "SHA".to_owned());
                let target = call.child_by_field_name("function").unwrap_or(call);
                out.push(
                    Finding::new(ID, file, target.byte_range(), fast_hash_message(&algorithm))
                        .help(FAST_HASH_HELP),
                );
            }
            continue;
        }
        // bcrypt.hash(password, 8), bcrypt.genSalt(8), hashSync(password, 8)
        let imported = match function.rsplit_once('.') {
            Some((object, n)) => bcrypt_whole.iter().any(|w| w == object).then_some(n),
            None => bcrypt_named
                .iter()
                .find(|(_, local)| local == function)
                .map(|(imported, _)| imported.as_str()),
        };
        let rounds = match imported {
            Some("hash" | "hashSync") => args.get(1),
            Some("genSalt" | "genSaltSync") => args.first(),
            _ => None,
        };
        if let Some(rounds) = rounds {
            low_cost(file, *rounds, "bcrypt", out);
        }
    }
}

// ---- Rust ----

const RUST_FAST: &[&str] = &[
    "Md5",
    "Sha1",
    "Sha224",
    "Sha256",
    "Sha384",
    "Sha512",
    "Sha3_256",
    "Sha3_512",
    "Blake2b512",
    "Blake2s256",
];

/// `Sha256` for `Sha256::new` / `sha2::Sha256::digest`, when the type is a fast hash.
fn rust_hash_type<'f>(file: &'f SourceFile, function: Node<'_>) -> Option<&'f str> {
    if function.kind() != "scoped_identifier" {
        return None;
    }
    let path = function.child_by_field_name("path")?;
    let ty = file.node_text(path).rsplit("::").next()?;
    let ty = ty.split('<').next()?;
    RUST_FAST.contains(&ty).then_some(ty)
}

fn rust(file: &SourceFile, out: &mut Vec<Finding>) {
    let uses_bcrypt = nodes_of(file, &["use_declaration"])
        .into_iter()
        .any(|u| file.node_text(u).contains("bcrypt"));
    // `let mut hasher = Sha256::new();` per function scope.
    let mut hashers: Vec<(usize, String, String)> = Vec::new();
    for binding in nodes_of(file, &["let_declaration"]) {
        let Some([pattern, value]) = fields(binding, ["pattern", "value"]) else {
            continue;
        };
        let Some(name) = descendants(pattern)
            .into_iter()
            .find(|n| n.kind() == "identifier")
        else {
            continue;
        };
        if value.kind() == "call_expression" && callee_name(file, value) == "new" {
            if let Some(ty) = value
                .child_by_field_name("function")
                .and_then(|f| rust_hash_type(file, f))
            {
                hashers.push((
                    function_scope(binding).id(),
                    file.node_text(name).to_owned(),
                    ty.to_owned(),
                ));
            }
        }
    }
    for call in nodes_of(file, &["call_expression"]) {
        if lang::rust::in_rust_test(file, call) {
            continue;
        }
        let Some(function) = call.child_by_field_name("function") else {
            continue;
        };
        let name = callee_name(file, call);
        let args = arguments(call);
        let data = args.first().copied();
        let fed_password = data.is_some_and(|d| mentions_password(file, d));
        // Sha256::digest(password), md5::compute(password), Sha256::new_with_prefix(password)
        let direct = match (rust_hash_type(file, function), name) {
            (Some(ty), "digest" | "new_with_prefix") => Some(ty.to_owned()),
            _ if callee(file, call) == "md5::compute" => Some("MD5".to_owned()),
            _ => None,
        };
        // hasher.update(password), Sha256::new().chain_update(password)
        let chained =
            if matches!(name, "update" | "chain_update") && function.kind() == "field_expression" {
                function
                    .child_by_field_name("value")
                    .and_then(|object| match object.kind() {
                        "call_expression" if callee_name(file, object) == "new" => object
                            .child_by_field_name("function")
                            .and_then(|f| rust_hash_type(file, f))
                            .map(str::to_owned),
                        "identifier" => {
                            let scope = function_scope(call).id();
                            hashers
                                .iter()
                                .find(|(s, n, _)| *s == scope && n == file.node_text(object))
                                .map(|(_, _, ty)| ty.clone())
                        }
                        _ => None,
                    })
            } else {
                None
            };
        if let Some(algorithm) = direct.or(chained) {
            if fed_password && weak_hash_use(file, call) {
                out.push(
                    Finding::new(
                        ID,
                        file,
                        function.byte_range(),
                        fast_hash_message(&algorithm),
                    )
                    .help(FAST_HASH_HELP),
                );
            }
            continue;
        }
        // bcrypt::hash(password, 8)
        let path = callee(file, call);
        let bcrypt_hash = matches!(
            path,
            "bcrypt::hash" | "bcrypt::hash_with_result" | "bcrypt::hash_with_salt"
        ) || (uses_bcrypt
            && function.kind() == "identifier"
            && matches!(path, "hash" | "hash_with_result" | "hash_with_salt"));
        if bcrypt_hash {
            if let Some(cost) = args.get(1) {
                low_cost(file, *cost, "bcrypt", out);
            }
        }
    }
}

// ---- plaintext comparisons ----

/// (object, name) of a password-holding side: `user.password` → (Some("user"), "password"),
/// `password` → (None, "password").
fn password_side<'f>(file: &'f SourceFile, node: Node<'_>) -> Option<(Option<&'f str>, &'f str)> {
    let (object, name) = match node.kind() {
        "identifier" => (None, node),
        "attribute" => (
            node.child_by_field_name("object"),
            node.child_by_field_name("attribute")?,
        ),
        "member_expression" => (
            node.child_by_field_name("object"),
            node.child_by_field_name("property")?,
        ),
        "field_expression" => (
            node.child_by_field_name("value"),
            node.child_by_field_name("field")?,
        ),
        _ => return None,
    };
    let name = file.node_text(name);
    if !is_password_name(name) {
        return None;
    }
    let object = object.map(|o| file.node_text(o));
    // Settings and environment hold configured secrets, not user records.
    if object.is_some_and(|o| {
        let o = o.to_ascii_lowercase();
        ["settings", "config", "conf", "env", "environ", "options"]
            .iter()
            .any(|w| o == *w || o.ends_with(&format!(".{w}")) || o.starts_with(&format!("{w}.")))
    }) {
        return None;
    }
    Some((object, name))
}

fn comparisons(file: &SourceFile, out: &mut Vec<Finding>) {
    let lower = file.text.to_ascii_lowercase();
    if !["pass", "pwd"].iter().any(|w| lower.contains(w)) {
        return;
    }
    for node in nodes_of(file, &["comparison_operator", "binary_expression"]) {
        let operator = match node.kind() {
            "comparison_operator" => {
                let mut cursor = node.walk();
                let ops: Vec<&str> = node
                    .children(&mut cursor)
                    .filter(|c| !c.is_named())
                    .map(|c| file.node_text(c))
                    .collect();
                match ops.as_slice() {
                    [op] => *op,
                    _ => continue,
                }
            }
            _ => node
                .child_by_field_name("operator")
                .map(|o| file.node_text(o))
                .unwrap_or_default(),
        };
        if !matches!(operator, "==" | "!=" | "===" | "!==") {
            continue;
        }
        let (left, right) = match node.kind() {
            "comparison_operator" => {
                let mut cursor = node.walk();
                let operands: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
                match operands.as_slice() {
                    [l, r] => (*l, *r),
                    _ => continue,
                }
            }
            _ => match (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                (Some(l), Some(r)) => (l, r),
                _ => continue,
            },
        };
        let (Some(a), Some(b)) = (password_side(file, left), password_side(file, right)) else {
            continue;
        };
        // One side is a record's password attribute; the other comes from somewhere else.
        let record = a.0.is_some() || b.0.is_some();
        if !record || a.0 == b.0 || file.lang == Lang::Rust && lang::rust::in_rust_test(file, node)
        {
            continue;
        }
        out.push(Finding::new(ID, file, node.byte_range(), PLAINTEXT).help(PLAINTEXT_HELP));
    }
}

#[cfg(test)]
mod tests {
    use super::is_password_name;

    #[test]
    fn password_names() {
        for yes in [
            "password",
            "new_password",
            "plainPassword",
            "passwd",
            "pwd",
            "raw_password",
            "current_password",
        ] {
            assert!(is_password_name(yes), "{yes}");
        }
        for no in [
            "password_hash",
            "hashed_password",
            "reset_password_token",
            "passwordResetCode",
            "password_confirm",
            "confirmPassword",
            "PASSWORD_MIN_LENGTH",
            "ADMIN_PASSWORD",
            "email",
            "token",
            "password_changed_at",
            "encrypted_password",
            "bypass",
        ] {
            assert!(!is_password_name(no), "{no}");
        }
    }
}
