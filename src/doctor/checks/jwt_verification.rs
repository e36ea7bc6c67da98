//! `jwt-verification`: JWT verifiers that let the token choose how it is checked, skip the
//! signature or expiry, or accept access tokens without `aud`/`iss`/`exp`; python-jose; a
//! PyJWT pin that allows releases below the verifier's floor.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/jwt-verification.md`.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::configure::Algorithm;
use crate::doctor::facts::{self, PyDependencyFile};
use crate::doctor::finding::{Edit, Finding, Fix, Severity};
use crate::doctor::lang::fields;
use crate::doctor::lang::python::{
    decode_call, jwt_names, py_bool, py_keyword, py_keyword_arg, py_positional, py_resolve,
    py_scope, scope_assignments, string_list,
};
use crate::doctor::lang::{arguments, callee, callee_name, descendants, nodes_of, string_value};
use crate::doctor::workspace::{Lang, SourceFile, Workspace};
use crate::doctor::{edits, lang};
use crate::generate::dependencies::{self, PYJWT, PYJWT_FLOOR, Requirement};

use super::Check;

pub struct JwtVerification;

const ID: &str = "jwt-verification";

impl Check for JwtVerification {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let pinned = facts::answers(ws)
        .and_then(|(answers, _)| answers.algorithm)
        .map(|algorithm| match algorithm {
            Algorithm::Eddsa => "EdDSA",
            Algorithm::Hs256 => "HS256",
        });
    for file in ws.sources_in(&[Lang::Python]) {
        if lang::is_test_path(&file.rel)
            || !(file.text.contains("jwt") || file.text.contains("jose"))
        {
            continue;
        }
        jose_imports(&file, out);
        python(&file, pinned, out);
    }
    declared_jose(ws, out);
    pyjwt_pins(ws, out);
    for file in ws.sources_in(&[Lang::Rust]) {
        if !lang::is_test_path(&file.rel) && file.text.contains("jsonwebtoken") {
            rust(&file, out);
        }
    }
}

// ---- python-jose ----

const JOSE_IMPORTED: &str = "python-jose is imported: it has CVE-2024-33663 (algorithm confusion) and CVE-2024-33664 (JWE decompression bomb), and its `jwt.decode` lets the token choose the algorithm unless `algorithms=` is passed";
const JOSE_DECLARED: &str = "python-jose is a declared dependency: through 3.3.0 it has CVE-2024-33663 (algorithm confusion) and CVE-2024-33664 (JWE decompression bomb), and it pulls in `ecdsa` with an unfixed timing side channel (CVE-2024-23342)";

fn is_jose_module(module: &str) -> bool {
    module == "jose" || module.starts_with("jose.")
}

fn jose_imports(file: &SourceFile, out: &mut Vec<Finding>) {
    for statement in nodes_of(file, &["import_statement", "import_from_statement"]) {
        let module = if statement.kind() == "import_from_statement" {
            statement.child_by_field_name("module_name")
        } else {
            let mut cursor = statement.walk();
            statement
                .children_by_field_name("name", &mut cursor)
                .map(|n| n.child_by_field_name("name").unwrap_or(n))
                .find(|n| is_jose_module(file.node_text(*n)))
        };
        let Some(module) = module.filter(|m| is_jose_module(file.node_text(*m))) else {
            continue;
        };
        out.push(
            Finding::new(ID, file, module.byte_range(), JOSE_IMPORTED).help(
                "switch to PyJWT[crypto]: `import jwt`, `jwt.decode(token, key, algorithms=[...])`, and catch `jwt.PyJWTError` instead of `JWTError`",
            ),
        );
    }
}

fn declared_jose(ws: &Workspace, out: &mut Vec<Finding>) {
    let dependencies = facts::python_dependencies(ws);
    for dep in &dependencies {
        if dep.name != "python-jose" {
            continue;
        }
        let finding = Finding::new(ID, &dep.file, dep.span.clone(), JOSE_DECLARED).help(format!(
            "declare `{}` instead and port the code that imports `jose`",
            PYJWT.pep508()
        ));
        if dep.kind != PyDependencyFile::Requirements {
            out.push(finding);
            continue;
        }
        let has_pyjwt = dependencies
            .iter()
            .any(|other| other.file.rel == dep.file.rel && other.name == "pyjwt");
        let edit = if has_pyjwt {
            let line = edits::line_span(&dep.file, dep.span.start, dep.span.end);
            Edit::delete(&dep.file, line)
        } else {
            Edit::replace(&dep.file, dep.span.clone(), PYJWT.pep508())
        };
        let description = if has_pyjwt {
            "remove python-jose (PyJWT is already declared)"
        } else {
            "replace python-jose with PyJWT[crypto]"
        };
        out.push(finding.fix(Fix::unsafe_(description, vec![edit])));
    }
}

// ---- PyJWT below the floor ----

/// The doctor raises the version bound only; extras stay as declared.
const PYJWT_RAISED: Requirement = Requirement {
    extras: &[],
    ..PYJWT
};

/// A PyJWT declaration's version as PEP 508, and where its text is written.
struct Pin {
    /// `PyJWT[crypto]>=2.8,<3`; for Poetry and Pipfile `pyjwt` and the constraint as PEP 440.
    spec: String,
    /// What the finding cites and the fix rewrites: the requirement, inside its quotes in
    /// pyproject.toml; the version string's content for a Poetry or Pipfile key.
    span: std::ops::Range<usize>,
    /// Only the version is written at `span` (Poetry, Pipfile), not a whole requirement.
    version_only: bool,
    /// How the declaration reads, for the message.
    shown: String,
}

fn pin(dep: &facts::PyDependency) -> Option<Pin> {
    let text = &dep.file.text;
    let unquoted = |span: &std::ops::Range<usize>| {
        let inner = span.start + 1..span.end.checked_sub(1)?;
        let quoted = text[span.clone()].starts_with(['"', '\'']);
        (quoted && inner.start <= inner.end && !text[inner.clone()].contains('\\')).then_some(inner)
    };
    match (dep.kind, &dep.version) {
        (PyDependencyFile::Requirements, _) => Some(Pin {
            spec: text[dep.span.clone()].to_owned(),
            span: dep.span.clone(),
            version_only: false,
            shown: text[dep.span.clone()].to_owned(),
        }),
        (_, Some(version)) => {
            let inner = unquoted(version)?;
            let constraint = &text[inner.clone()];
            let pep440 = match dep.kind {
                PyDependencyFile::Pyproject => lang::toml::poetry_to_pep440(constraint)?,
                _ => constraint.trim().to_owned(),
            };
            (!pep440.is_empty() && pep440 != "*").then(|| Pin {
                spec: format!("pyjwt{pep440}"),
                span: inner,
                version_only: true,
                // As the line reads: `PyJWT = "^2.8"`, or the table's `version = "2.9.0"`.
                shown: if text[dep.span.end..version.start].trim() == "=" {
                    format!("{} = \"{constraint}\"", &text[dep.span.clone()])
                } else {
                    format!("version = \"{constraint}\"")
                },
            })
        }
        (PyDependencyFile::Pyproject, None) => {
            let inner = unquoted(&dep.span)?;
            Some(Pin {
                spec: text[inner.clone()].to_owned(),
                shown: text[inner.clone()].to_owned(),
                span: inner,
                version_only: false,
            })
        }
        (PyDependencyFile::Pipfile, None) => None,
    }
}

/// PyJWT declared in a range that allows releases below [`PYJWT_FLOOR`]: what is wrong with
/// those releases is said as it is (2.10.0: CVE-2024-53861; before 2.4.0: CVE-2022-29217);
/// a pin below the floor without a known CVE is a warning.
fn pyjwt_pins(ws: &Workspace, out: &mut Vec<Finding>) {
    for dep in facts::python_dependencies(ws) {
        if dep.name != "pyjwt" {
            continue;
        }
        let Some(pin) = pin(&dep) else { continue };
        let Some(raised) = PYJWT_RAISED.raised(&pin.spec) else {
            continue;
        };
        let raised = if pin.version_only {
            raised["pyjwt".len()..].to_owned()
        } else {
            raised
        };
        let allows = |v: &str| dependencies::admits(&pin.spec, v) == Some(true);
        let below_2_4 = dependencies::admits_below(&pin.spec, "2.4.0") == Some(true);
        let mut known = Vec::new();
        if allows("2.10.0") {
            known.push("2.10.0, which has CVE-2024-53861 (its `iss` check accepts any substring of the expected issuer)");
        }
        if below_2_4 {
            known.push("releases before 2.4.0, which have CVE-2022-29217 (algorithm confusion when every algorithm is allowed)");
        }
        let shown = &pin.shown;
        let finding = if known.is_empty() {
            Finding::new(ID, &dep.file, pin.span.clone(), format!("`{shown}` holds PyJWT below {PYJWT_FLOOR}, the lowest release authgen's verifier declares: PyJWT ships fixes only in new releases, and this pin cannot take them"))
                .severity(Severity::Warning)
        } else {
            Finding::new(
                ID,
                &dep.file,
                pin.span.clone(),
                format!("`{shown}` allows PyJWT {}", known.join(", and ")),
            )
        };
        // A range that already allows the floor only loses the releases below it; an exact or
        // capped pin is an upgrade across 2.10.0, which started validating `sub` and `jti`.
        let fix = if allows(PYJWT_FLOOR) {
            Fix::safe(
                format!("raise the lower bound to {PYJWT_FLOOR}"),
                vec![Edit::replace(&dep.file, pin.span.clone(), raised)],
            )
        } else {
            Fix::unsafe_(
                format!(
                    "upgrade to PyJWT {PYJWT_FLOOR} or later (2.10 validates the `sub` and `jti` claims' types)"
                ),
                vec![Edit::replace(&dep.file, pin.span.clone(), raised)],
            )
        };
        out.push(
            finding
                .help(format!(
                    "require `>={PYJWT_FLOOR}`, keeping the extras and upper bound"
                ))
                .fix(fix),
        );
    }
}

// ---- Python jwt.decode ----

const NO_ALGORITHMS: &str = "`jwt.decode` without `algorithms=`: the token's own `alg` header decides how it is verified (PyJWT 2 refuses with `It is required that you pass in a value for the \"algorithms\" argument`; python-jose and PyJWT 1 accept forged tokens)";
const ALG_FROM_HEADER: &str = "the accepted algorithm is read from the token's unverified header: whoever makes the token chooses how it is verified (algorithm confusion)";
const MIXED: &str = "one key is accepted with both HMAC and asymmetric algorithms: a token signed with HMAC using the public key as the secret verifies (algorithm confusion)";
const NO_SIGNATURE: &str = "signature verification is turned off: anyone can make a token with any claims and it is accepted";
const NO_EXP: &str = "expiry is not checked: expired and stolen tokens stay valid forever";
const NO_CLAIMS: &str = "access tokens are verified without `audience=`/`issuer=` and without `options={\"require\": [...]}`: a token without `exp` never expires, and one minted for another service with the same key is accepted";

/// One decode call and what its arguments say.
struct Decode<'t> {
    call: Node<'t>,
    jose: bool,
    /// The function (or module) it is in.
    scope: Node<'t>,
    /// `verify=False` or the `"verify_signature": False` entry.
    unverified: Option<Node<'t>>,
}

fn python(file: &SourceFile, pinned: Option<&str>, out: &mut Vec<Finding>) {
    let names = jwt_names(file);
    if names.is_empty() {
        return;
    }
    let mut decodes = Vec::new();
    for call in nodes_of(file, &["call"]) {
        let Some(jose) = decode_call(file, &names, call) else {
            continue;
        };
        // `**kwargs` or `*args`: what is passed is not known here.
        if arguments(call)
            .iter()
            .any(|a| matches!(a.kind(), "list_splat" | "dictionary_splat"))
        {
            continue;
        }
        let options = options_of(file, call);
        let unverified = py_keyword_arg(file, call, "verify")
            .filter(|kw| {
                kw.child_by_field_name("value")
                    .and_then(|v| py_bool(file, v))
                    == Some(false)
            })
            .or_else(|| {
                options.as_ref().and_then(|entries| {
                    entries
                        .iter()
                        .find(|(key, _, value)| {
                            key == "verify_signature" && py_bool(file, *value) == Some(false)
                        })
                        .map(|(_, entry, _)| *entry)
                })
            });
        decodes.push(Decode {
            call,
            jose,
            scope: py_scope(call),
            unverified,
        });
    }
    for decode in &decodes {
        if let Some(entry) = decode.unverified {
            // Peeking at the claims (to pick a key or an issuer) before a verifying decode of
            // the same function is not a verifier.
            let verified_nearby = decodes
                .iter()
                .any(|d| d.scope.id() == decode.scope.id() && d.unverified.is_none());
            if !verified_nearby && access_token_context(file, decode.call) {
                out.push(
                    Finding::new(ID, file, entry.byte_range(), NO_SIGNATURE).help(
                        "verify the signature: pass the issuer's key and `algorithms=[...]` and drop `verify_signature: False`",
                    ),
                );
            }
            continue;
        }
        check_decode(file, decode, pinned, out);
    }
}

fn check_decode(
    file: &SourceFile,
    decode: &Decode<'_>,
    pinned: Option<&str>,
    out: &mut Vec<Finding>,
) {
    let call = decode.call;
    let positional = py_positional(call);
    let options_node = py_keyword(file, call, "options").or_else(|| positional.get(3).copied());
    let options = options_of(file, call);
    if let Some(entries) = &options {
        for (key, entry, value) in entries {
            if key == "verify_exp"
                && py_bool(file, *value) == Some(false)
                && access_token_context(file, call)
            {
                out.push(Finding::new(ID, file, entry.byte_range(), NO_EXP).help(
                    "drop `verify_exp: False` and require the claim: `options={\"require\": [\"exp\", \"iss\", \"aud\"]}`",
                ));
            }
        }
    }
    let function = call.child_by_field_name("function").unwrap_or(call);
    match py_keyword(file, call, "algorithms").or_else(|| positional.get(2).copied()) {
        None => {
            let key = py_keyword(file, call, "key").or_else(|| positional.get(1).copied());
            let fix = pinned
                .filter(|alg| !(decode.jose && *alg == "EdDSA"))
                .filter(|alg| key.is_some_and(|k| key_fits(file, k, alg)))
                .and_then(|alg| {
                    insert_keyword(file, call, &format!("algorithms=[\"{alg}\"]"))
                        .map(|edit| Fix::safe(format!("pin algorithms=[\"{alg}\"]"), vec![edit]))
                });
            let help = match pinned {
                Some(alg) => format!(
                    "pin the algorithm the issuer signs with: `algorithms=[\"{alg}\"]` (authgen.toml)"
                ),
                None => {
                    "pin the one algorithm the issuer signs with, e.g. `algorithms=[\"EdDSA\"]`"
                        .to_owned()
                }
            };
            out.push(
                Finding::new(ID, file, function.byte_range(), NO_ALGORITHMS)
                    .help(help)
                    .maybe_fix(fix),
            );
        }
        Some(algorithms) => {
            if from_unverified_header(file, decode.scope, algorithms) {
                out.push(
                    Finding::new(ID, file, algorithms.byte_range(), ALG_FROM_HEADER).help(
                        "pin the algorithm the issuer signs with, e.g. `algorithms=[\"EdDSA\"]`, never the token's `alg`",
                    ),
                );
            } else if let Some(list) = string_list(file, py_resolve(file, algorithms)) {
                let hmac = list.iter().any(|a| a.starts_with("HS"));
                let asymmetric = list.iter().any(|a| {
                    a == "EdDSA"
                        || a.starts_with("RS")
                        || a.starts_with("ES")
                        || a.starts_with("PS")
                });
                if hmac && asymmetric {
                    out.push(
                        Finding::new(ID, file, algorithms.byte_range(), MIXED).help(
                            "keep only the algorithm the issuer signs with; verify HMAC and public-key tokens with separate keys and calls",
                        ),
                    );
                }
            }
        }
    }
    // Required claims: only where the options are known and the call verifies access tokens.
    let options_known = options_node.is_none() || options.is_some();
    let requires = options
        .iter()
        .flatten()
        .any(|(key, _, _)| key.starts_with("require"));
    if options_known
        && !requires
        && py_keyword(file, call, "audience").is_none()
        && py_keyword(file, call, "issuer").is_none()
        && access_token_context(file, call)
    {
        out.push(
            Finding::new(ID, file, function.byte_range(), NO_CLAIMS)
                .severity(Severity::Warning)
                .help(
                    "pass `audience=` and `issuer=` and `options={\"require\": [\"exp\", \"iss\", \"aud\"]}`",
                ),
        );
    }
}

/// Whether the key expression contradicts the algorithm: a secret for EdDSA, a public key or
/// JWK for HS256.
fn key_fits(file: &SourceFile, key: Node<'_>, alg: &str) -> bool {
    let text = file.node_text(key).to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| text.contains(w));
    match alg {
        "EdDSA" => !any(&["secret", "hmac"]),
        _ => !any(&["public", "jwk", "pem", "cert", "signing_key"]),
    }
}

/// The entries of an `options` argument given as a dict literal or `dict(...)` (possibly
/// through a local name): (key, entry node, value node). `None` when not known.
fn options_of<'t>(file: &SourceFile, call: Node<'t>) -> Option<Vec<(String, Node<'t>, Node<'t>)>> {
    let node = py_keyword(file, call, "options").or_else(|| py_positional(call).get(3).copied())?;
    py_dict(file, py_resolve(file, node))
}

fn py_dict<'t>(file: &SourceFile, node: Node<'t>) -> Option<Vec<(String, Node<'t>, Node<'t>)>> {
    let mut entries = Vec::new();
    match node.kind() {
        "dictionary" => {
            let mut cursor = node.walk();
            for pair in node.named_children(&mut cursor) {
                match pair.kind() {
                    "pair" => {
                        let key = pair.child_by_field_name("key")?;
                        let value = pair.child_by_field_name("value")?;
                        entries.push((string_value(file, key)?, pair, value));
                    }
                    "comment" => {}
                    _ => return None, // `**defaults`
                }
            }
        }
        "call" if callee(file, node) == "dict" => {
            for arg in arguments(node) {
                if arg.kind() != "keyword_argument" {
                    return None;
                }
                let name = arg.child_by_field_name("name")?;
                let value = arg.child_by_field_name("value")?;
                entries.push((file.node_text(name).to_owned(), arg, value));
            }
        }
        _ => return None,
    }
    Some(entries)
}

/// Identifiers read in `node` (attribute names and keyword names excluded).
fn py_names_read(file: &SourceFile, node: Node<'_>) -> Vec<String> {
    descendants(node)
        .into_iter()
        .filter(|n| n.kind() == "identifier")
        .filter(|n| {
            n.parent().is_none_or(|p| {
                !(p.kind() == "attribute"
                    && p.child_by_field_name("attribute")
                        .is_some_and(|a| a.id() == n.id())
                    || p.kind() == "keyword_argument"
                        && p.child_by_field_name("name")
                            .is_some_and(|a| a.id() == n.id()))
            })
        })
        .map(|n| file.node_text(n).to_owned())
        .collect()
}

fn calls_unverified_header(file: &SourceFile, node: Node<'_>) -> bool {
    descendants(node).into_iter().any(|n| {
        n.kind() == "call"
            && matches!(
                callee_name(file, n),
                "get_unverified_header" | "get_unverified_headers"
            )
    })
}

/// Whether `value` is (or is computed from) `jwt.get_unverified_header(...)`, through the
/// assignments of its function.
fn from_unverified_header(file: &SourceFile, scope: Node<'_>, value: Node<'_>) -> bool {
    let assignments = scope_assignments(file, scope);
    let mut tainted: HashSet<String> = HashSet::new();
    loop {
        let before = tainted.len();
        for (name, right) in &assignments {
            if !tainted.contains(name)
                && (calls_unverified_header(file, *right)
                    || py_names_read(file, *right)
                        .iter()
                        .any(|n| tainted.contains(n)))
            {
                tainted.insert(name.clone());
            }
        }
        if tainted.len() == before {
            break;
        }
    }
    calls_unverified_header(file, value)
        || py_names_read(file, value)
            .iter()
            .any(|n| tainted.contains(n))
}

/// Whether the decode verifies access tokens: its function (or class) is named for access
/// tokens, the current user or auth, or the file takes bearer credentials — and not for
/// one-purpose tokens (password reset, email verification, invitations, refresh), OpenID
/// Connect ID tokens, or helpers named as not verifying (`decode_unverified`).
fn access_token_context(file: &SourceFile, call: Node<'_>) -> bool {
    let mut names = String::new();
    let mut current = call;
    while let Some(parent) = current.parent() {
        if matches!(parent.kind(), "function_definition" | "class_definition") {
            if let Some(name) = parent.child_by_field_name("name") {
                names.push_str(&file.node_text(name).to_ascii_lowercase());
                names.push(' ');
            }
        }
        current = parent;
    }
    if names.is_empty() {
        return false;
    }
    // OpenID Connect ID tokens (from the provider's token endpoint, or an expired
    // `id_token_hint` at logout) are read, not used as access tokens.
    let token = py_keyword(file, call, "jwt")
        .or_else(|| py_keyword(file, call, "token"))
        .or_else(|| py_positional(call).first().copied())
        .map(|t| file.node_text(t).to_ascii_lowercase())
        .unwrap_or_default();
    if ["id_token", "idtoken", "hint"]
        .iter()
        .any(|w| token.contains(w))
    {
        return false;
    }
    let one_purpose = [
        // helpers that say they do not verify
        "unverified",
        "insecure",
        "unsafe",
        "dangerous",
        "peek",
        "without_verif",
        // ID tokens and logout hints
        "id_token",
        "idtoken",
        "oidc",
        "hint",
        "logout",
        // one-purpose tokens
        "reset",
        "email",
        "invite",
        "invitation",
        "confirm",
        "magic",
        "state",
        "unsubscribe",
        "download",
        "share",
        "activation",
        "activate",
        "refresh",
        "verification",
    ];
    if one_purpose.iter().any(|w| names.contains(w)) {
        return false;
    }
    let access = [
        "current_user",
        "access",
        "token",
        "jwt",
        "auth",
        "bearer",
        "principal",
    ];
    access.iter().any(|w| names.contains(w))
        || lang::mentions(
            file,
            file.tree().map(|t| t.root_node()).unwrap_or(call),
            |n| {
                matches!(
                    n,
                    "OAuth2PasswordBearer" | "HTTPBearer" | "HTTPAuthorizationCredentials"
                )
            },
        )
}

/// Insert `keyword` as the last argument of a Python call, following its layout (one
/// argument per line or all on one line, trailing comma kept).
fn insert_keyword(file: &SourceFile, call: Node<'_>, keyword: &str) -> Option<Edit> {
    let list = call.child_by_field_name("arguments")?;
    let last = *arguments(call).last()?;
    let close = list.end_byte().checked_sub(1)?;
    let between = file.text.get(last.end_byte()..close)?;
    if !between.contains('\n') {
        return Some(Edit::insert(file, last.end_byte(), format!(", {keyword}")));
    }
    let line_start = file.text[..last.start_byte()]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent: String = file.text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    match between.find(',') {
        Some(comma) => {
            let newline = between[comma..].find('\n')? + comma;
            Some(Edit::insert(
                file,
                last.end_byte() + newline + 1,
                format!("{indent}{keyword},\n"),
            ))
        }
        None => Some(Edit::insert(
            file,
            last.end_byte(),
            format!(",\n{indent}{keyword}"),
        )),
    }
}

// ---- Rust jsonwebtoken ----

const RUST_ALG_FROM_HEADER: &str = "`Validation::new` takes the algorithm from the token's own header: whoever makes the token chooses how it is verified (algorithm confusion)";
const RUST_NO_SIGNATURE: &str =
    "signature validation is disabled: anyone can make a token with any claims and it is accepted";
const RUST_NO_EXP: &str = "`validate_exp = false`: expired and stolen tokens stay valid forever";

fn rust(file: &SourceFile, out: &mut Vec<Finding>) {
    for call in nodes_of(file, &["call_expression"]) {
        if lang::rust::in_rust_test(file, call) {
            continue;
        }
        let Some(function) = call.child_by_field_name("function") else {
            continue;
        };
        match function.kind() {
            "scoped_identifier" if callee(file, call).ends_with("Validation::new") => {
                let Some(arg) = arguments(call).first().copied() else {
                    continue;
                };
                if rust_from_header(file, call, arg) {
                    out.push(Finding::new(ID, file, arg.byte_range(), RUST_ALG_FROM_HEADER).help(
                        "pin the algorithm the issuer signs with: `Validation::new(Algorithm::EdDSA)`",
                    ));
                }
            }
            "field_expression"
                if !rust_reads_unverified(file, call)
                    && function.child_by_field_name("field").is_some_and(|f| {
                        file.node_text(f) == "insecure_disable_signature_validation"
                    }) =>
            {
                let start = function
                    .child_by_field_name("field")
                    .map_or(call.start_byte(), |f| f.start_byte());
                out.push(
                    Finding::new(ID, file, start..call.end_byte(), RUST_NO_SIGNATURE).help(
                        "remove `insecure_disable_signature_validation()` and verify with the issuer's `DecodingKey`",
                    ),
                );
            }
            _ => {}
        }
    }
    for assign in nodes_of(file, &["assignment_expression"]) {
        let Some([left, right]) = fields(assign, ["left", "right"]) else {
            continue;
        };
        if left.kind() != "field_expression" || lang::rust::in_rust_test(file, assign) {
            continue;
        }
        let field = left
            .child_by_field_name("field")
            .map(|f| file.node_text(f))
            .unwrap_or_default();
        if field == "validate_exp" && file.node_text(right) == "false" {
            out.push(
                Finding::new(ID, file, assign.byte_range(), RUST_NO_EXP).help(
                    "keep `validate_exp` true and require the claim: `validation.set_required_spec_claims(&[\"exp\", \"iss\", \"aud\"])`",
                ),
            );
        }
        if field == "algorithms" && rust_from_header(file, assign, right) {
            out.push(
                Finding::new(ID, file, right.byte_range(), RUST_ALG_FROM_HEADER)
                    .help("pin the algorithm the issuer signs with, never the token's `alg`"),
            );
        }
    }
    for init in nodes_of(file, &["field_initializer"]) {
        let Some([field, value]) = fields(init, ["field", "value"]) else {
            continue;
        };
        let in_validation = init
            .parent()
            .and_then(|list| list.parent())
            .and_then(|s| s.child_by_field_name("name"))
            .is_some_and(|name| file.node_text(name).ends_with("Validation"));
        if in_validation
            && file.node_text(field) == "validate_exp"
            && file.node_text(value) == "false"
            && !lang::rust::in_rust_test(file, init)
        {
            out.push(Finding::new(ID, file, init.byte_range(), RUST_NO_EXP).help(
                "keep `validate_exp` true and require the claim with `set_required_spec_claims`",
            ));
        }
    }
}

/// Whether the enclosing function says it reads claims without verifying them
/// (`decode_unverified`, `peek_claims`, `insecure_claims`) or handles OpenID Connect ID tokens.
fn rust_reads_unverified(file: &SourceFile, node: Node<'_>) -> bool {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if parent.kind() == "function_item" {
            let name = parent
                .child_by_field_name("name")
                .map(|n| file.node_text(n).to_ascii_lowercase())
                .unwrap_or_default();
            return [
                "unverified",
                "insecure",
                "unsafe",
                "dangerous",
                "peek",
                "id_token",
                "oidc",
            ]
            .iter()
            .any(|w| name.contains(w));
        }
        current = parent;
    }
    false
}

fn calls_decode_header(file: &SourceFile, node: Node<'_>) -> bool {
    descendants(node)
        .into_iter()
        .any(|n| n.kind() == "call_expression" && callee_name(file, n) == "decode_header")
}

/// Whether `value` comes from `decode_header(..)`, directly or through `let` bindings of the
/// enclosing function.
fn rust_from_header(file: &SourceFile, at: Node<'_>, value: Node<'_>) -> bool {
    if calls_decode_header(file, value) {
        return true;
    }
    let mut scope = at;
    while let Some(parent) = scope.parent() {
        scope = parent;
        if matches!(scope.kind(), "function_item" | "closure_expression") {
            break;
        }
    }
    let lets: Vec<(String, Node<'_>)> = descendants(scope)
        .into_iter()
        .filter(|n| n.kind() == "let_declaration")
        .filter_map(|n| {
            let pattern = n.child_by_field_name("pattern")?;
            let value = n.child_by_field_name("value")?;
            let name = descendants(pattern)
                .into_iter()
                .find(|p| p.kind() == "identifier")?;
            Some((file.node_text(name).to_owned(), value))
        })
        .collect();
    let reads = |node: Node<'_>| -> Vec<String> {
        descendants(node)
            .into_iter()
            .filter(|n| n.kind() == "identifier")
            .map(|n| file.node_text(n).to_owned())
            .collect()
    };
    let mut tainted: HashSet<String> = HashSet::new();
    loop {
        let before = tainted.len();
        for (name, right) in &lets {
            if !tainted.contains(name)
                && (calls_decode_header(file, *right)
                    || reads(*right).iter().any(|n| tainted.contains(n)))
            {
                tainted.insert(name.clone());
            }
        }
        if tainted.len() == before {
            break;
        }
    }
    reads(value).iter().any(|n| tainted.contains(n))
}

#[cfg(test)]
mod tests {
    fn fixed(files: &[(&str, &str)], unsafe_fixes: bool) -> Vec<(String, String)> {
        crate::doctor::checks::testing::fixed(super::ID, files, unsafe_fixes)
    }

    #[test]
    fn pins_the_authgen_algorithm_following_the_call_layout() {
        let changes = fixed(
            &[
                ("authgen.toml", "algorithm = \"eddsa\"\n"),
                (
                    "api/auth.py",
                    "import jwt\n\n\ndef current_user(token, key):\n    a = jwt.decode(token, key)\n    b = jwt.decode(\n        token,\n        key,\n    )\n    c = jwt.decode(\n        token,\n        key\n    )\n    d = jwt.decode(token, settings.JWT_SECRET)\n    return a, b, c, d\n",
                ),
            ],
            false,
        );
        assert_eq!(
            changes,
            [(
                "api/auth.py".to_owned(),
                "import jwt\n\n\ndef current_user(token, key):\n    a = jwt.decode(token, key, algorithms=[\"EdDSA\"])\n    b = jwt.decode(\n        token,\n        key,\n        algorithms=[\"EdDSA\"],\n    )\n    c = jwt.decode(\n        token,\n        key,\n        algorithms=[\"EdDSA\"]\n    )\n    d = jwt.decode(token, settings.JWT_SECRET)\n    return a, b, c, d\n"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn no_pin_without_authgen_toml() {
        let changes = fixed(
            &[(
                "api/auth.py",
                "import jwt\n\ndef current_user(token, key):\n    return jwt.decode(token, key)\n",
            )],
            true,
        );
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn replaces_python_jose_in_requirements_unsafely() {
        let files = [
            (
                "api/requirements.txt",
                "fastapi==0.115.0\npython-jose[cryptography]==3.3.0  # tokens\n",
            ),
            (
                "web/requirements-dev.txt",
                "PyJWT==2.9.0\npython-jose==3.3.0\npytest\n",
            ),
        ];
        assert!(fixed(&files, false).is_empty());
        assert_eq!(
            fixed(&files, true),
            [
                (
                    "api/requirements.txt".to_owned(),
                    "fastapi==0.115.0\nPyJWT[crypto]>=2.10.1  # tokens\n".to_owned()
                ),
                (
                    "web/requirements-dev.txt".to_owned(),
                    "PyJWT>=2.10.1\npytest\n".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn pyjwt_pins_below_the_floor_are_raised_in_place() {
        let files = [
            (
                "a/requirements.txt",
                "PyJWT==2.9.0\npyjwt>=2.8  # tokens\nPyJWT~=2.9.0\npyjwt[crypto]>=2.8,<3\nPyJWT>=2.10.1\nPyJWT==2.10.1\nPyJWT>=2.11\n",
            ),
            (
                "b/pyproject.toml",
                "[project]\nname = \"b\"\ndependencies = [\"PyJWT[crypto]>=2.8,<3\", \"httpx\"]\n",
            ),
            (
                "c/pyproject.toml",
                "[tool.poetry.dependencies]\npython = \"^3.12\"\nPyJWT = \"^2.8\"\n",
            ),
        ];
        assert_eq!(
            fixed(&files, false),
            [
                (
                    "a/requirements.txt".to_owned(),
                    "PyJWT==2.9.0\npyjwt>=2.10.1  # tokens\nPyJWT~=2.9.0\npyjwt[crypto]>=2.10.1,<3\nPyJWT>=2.10.1\nPyJWT==2.10.1\nPyJWT>=2.11\n".to_owned()
                ),
                (
                    "b/pyproject.toml".to_owned(),
                    "[project]\nname = \"b\"\ndependencies = [\"PyJWT[crypto]>=2.10.1,<3\", \"httpx\"]\n".to_owned()
                ),
                (
                    "c/pyproject.toml".to_owned(),
                    "[tool.poetry.dependencies]\npython = \"^3.12\"\nPyJWT = \">=2.10.1,<3\"\n".to_owned()
                ),
            ]
        );
        let unsafe_ = fixed(&files, true);
        assert_eq!(
            unsafe_[0].1,
            "PyJWT>=2.10.1\npyjwt>=2.10.1  # tokens\nPyJWT>=2.10.1\npyjwt[crypto]>=2.10.1,<3\nPyJWT>=2.10.1\nPyJWT==2.10.1\nPyJWT>=2.11\n"
        );
    }
}
