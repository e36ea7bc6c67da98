//! `inet-column`: `ip_address` / `ipAddress` typed INET while the auth server writes text.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/inet-column.md`.

use std::rc::Rc;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};
use tree_sitter::Node;

use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang::fields;
use crate::doctor::lang::python::py_positional;
use crate::doctor::lang::{descendants, nodes_of, string_value};
use crate::doctor::workspace::{Lang, SourceFile, Workspace};
use crate::doctor::{edits, lang};

use super::Check;

pub struct InetColumn;

const ID: &str = "inet-column";
const MESSAGE: &str = "ip_address is typed INET, but the auth server writes it as text: sign-in fails with `column \"ip_address\" is of type inet but expression is of type text`";

impl Check for InetColumn {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    for file in ws.sources_in(&[Lang::Sql]) {
        sql(ws, &file, out);
    }
    for file in ws.sources_in(&[Lang::Python]) {
        if file.text.contains("INET") {
            python(ws, &file, out);
        }
    }
    for file in ws.sources_in(&[Lang::TypeScript, Lang::JavaScript]) {
        if file.text.contains("inet(") {
            drizzle(&file, out);
        }
    }
    for file in ws.sources_in(&[Lang::Prisma]) {
        prisma(&file, out);
    }
}

fn is_ip_column(name: &str) -> bool {
    matches!(name, "ip_address" | "ipAddress")
}

/// Same case as the type it replaces: `INET` → `TEXT`, `inet` → `text`.
fn text_like(inet: &str) -> &'static str {
    if inet.starts_with('I') {
        "TEXT"
    } else {
        "text"
    }
}

/// Whether a later migration in the same directory follows this one (so it has likely run).
fn has_later_sql_migration(ws: &Workspace, file: &SourceFile) -> bool {
    let dir = file.dir();
    ws.files_in(&[Lang::Sql]).any(|other| {
        crate::discover::parent(other) == dir
            && other.as_str() > file.rel.as_str()
            && !other.ends_with(".down.sql")
    })
}

fn sql(ws: &Workspace, file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    if !file.text.to_ascii_lowercase().contains("inet") {
        return;
    }
    let dialect = PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, &file.text).tokenize_with_location() else {
        ws.warn(format!(
            "{}: not valid SQL, not checked for INET columns",
            file.rel
        ));
        return;
    };
    let words: Vec<(&sqlparser::tokenizer::Word, usize)> = tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Word(w) => Some((
                w,
                file.offset(t.span.start.line as usize, t.span.start.column as usize),
            )),
            _ => None,
        })
        .collect();
    let later = has_later_sql_migration(ws, file);
    for (i, (word, _)) in words.iter().enumerate() {
        if !is_ip_column(&word.value) {
            continue;
        }
        // `ip_address INET` (CREATE TABLE / ADD COLUMN) or `ip_address [SET DATA] TYPE inet`.
        let mut j = i + 1;
        while let Some((w, _)) = words.get(j) {
            let upper = w.value.to_ascii_uppercase();
            if w.quote_style.is_none()
                && matches!(upper.as_str(), "SET" | "DATA" | "TYPE")
                && j - i <= 3
            {
                j += 1;
                continue;
            }
            break;
        }
        let Some((ty, at)) = words.get(j) else {
            continue;
        };
        if ty.quote_style.is_some() || !ty.value.eq_ignore_ascii_case("inet") {
            continue;
        }
        let range = *at..*at + ty.value.len();
        let column = if word.quote_style.is_some() {
            format!("\"{}\"", word.value)
        } else {
            word.value.clone()
        };
        let finding = Finding::new(ID, file, range.clone(), MESSAGE);
        out.push(if later {
            finding.help(format!(
                "a later migration follows this one, so it has probably run: add a new migration with `ALTER TABLE <table> ALTER COLUMN {column} TYPE text USING host({column});`"
            ))
        } else {
            finding
                .help("declare the column TEXT (this migration is the latest in its directory)")
                .fix(Fix::safe(
                    "change the column type to text",
                    vec![Edit::replace(file, range, text_like(&ty.value))],
                ))
        });
    }
}

/// The module-level `revision = "..."` of an Alembic revision file.
fn alembic_ids(file: &SourceFile) -> (Option<String>, Vec<String>) {
    let mut revision = None;
    let mut downs = Vec::new();
    for assign in nodes_of(file, &["assignment"]) {
        let Some([left, right]) = fields(assign, ["left", "right"]) else {
            continue;
        };
        match file.node_text(left) {
            "revision" => revision = string_value(file, right),
            "down_revision" => downs.extend(
                descendants(right)
                    .into_iter()
                    .filter_map(|n| string_value(file, n)),
            ),
            _ => {}
        }
    }
    (revision, downs)
}

/// Whether another Alembic revision names this one as its `down_revision`.
fn alembic_followed(ws: &Workspace, file: &SourceFile) -> Option<bool> {
    let (Some(revision), _) = alembic_ids(file) else {
        return None;
    };
    let dir = file.dir();
    Some(ws.files_in(&[Lang::Python]).any(|other| {
        other != &file.rel
            && crate::discover::parent(other) == dir
            && ws
                .source(other)
                .is_some_and(|o| alembic_ids(&o).1.contains(&revision))
    }))
}

fn is_inet_type(file: &SourceFile, node: Node<'_>) -> bool {
    let target = if node.kind() == "call" {
        node.child_by_field_name("function").unwrap_or(node)
    } else {
        node
    };
    matches!(target.kind(), "identifier" | "attribute")
        && file.node_text(target).rsplit('.').next() == Some("INET")
}

/// The replacement for an INET type expression, from how the file imports SQLAlchemy.
fn text_type(file: &SourceFile, inet: Node<'_>) -> Option<String> {
    let imports = file.py_imports();
    let called = inet.kind() == "call";
    let suffix = if called { "()" } else { "" };
    if let Some((_, alias)) = imports.iter().find(|(path, _)| path == "sqlalchemy") {
        return Some(format!("{alias}.Text{suffix}"));
    }
    imports
        .iter()
        .find(|(path, _)| path == "sqlalchemy.Text" || path == "sqlmodel.Text")
        .map(|(_, local)| format!("{local}{suffix}"))
}

fn python(ws: &Workspace, file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let mut found: Vec<Node<'_>> = Vec::new();
    for call in nodes_of(file, &["call"]) {
        let name = lang::callee_name(file, call);
        let positional = py_positional(call);
        match name {
            // Column("ip_address", INET), op.add_column(..., sa.Column("ip_address", postgresql.INET()))
            "Column" => {
                let named_ip = positional
                    .first()
                    .and_then(|n| string_value(file, *n))
                    .is_some_and(|s| is_ip_column(&s));
                let assigned_ip = assigned_name(file, call).is_some_and(is_ip_column);
                if named_ip || assigned_ip {
                    if let Some(inet) = positional.iter().find(|n| is_inet_type(file, **n)) {
                        found.push(*inet);
                    }
                }
            }
            // ip_address: Mapped[str] = mapped_column(INET)
            "mapped_column" if assigned_name(file, call).is_some_and(is_ip_column) => {
                if let Some(inet) = positional.iter().find(|n| is_inet_type(file, **n)) {
                    found.push(*inet);
                }
            }
            // op.alter_column("sessions", "ip_address", type_=postgresql.INET())
            "alter_column" => {
                let names_ip = positional
                    .get(1)
                    .and_then(|n| string_value(file, *n))
                    .is_some_and(|s| is_ip_column(&s));
                if let Some(ty) = lang::python::py_keyword(file, call, "type_") {
                    if names_ip && is_inet_type(file, ty) {
                        found.push(ty);
                    }
                }
            }
            _ => {}
        }
    }
    if found.is_empty() {
        return;
    }
    let followed = alembic_followed(ws, file);
    // Once every INET in the file is replaced, its import would be unused (ruff F401).
    let import = (followed != Some(true))
        .then(|| unused_inet_import(file, found.len()))
        .flatten();
    for inet in found {
        let range = inet.byte_range();
        let finding = Finding::new(ID, file, range.clone(), MESSAGE);
        if followed == Some(true) {
            out.push(finding.help(
                "a later Alembic revision follows this one: add a new revision with `op.alter_column(\"sessions\", \"ip_address\", type_=sa.Text(), existing_type=postgresql.INET(), postgresql_using=\"host(ip_address)\")`",
            ));
            continue;
        }
        let fix = text_type(file, inet).map(|text| {
            let mut edits = vec![Edit::replace(file, range, text)];
            edits.extend(import.clone());
            Fix::safe("declare the column as Text", edits)
        });
        out.push(
            finding
                .help("declare the column as Text (`sa.Text()`); the auth server stores the address as text")
                .maybe_fix(fix),
        );
    }
}

/// The edit that drops `INET` from `from sqlalchemy.dialects.postgresql import ...` when the
/// file uses the bare name exactly `replaced` times (all of them being fixed). The whole
/// statement goes when INET is its only name.
fn unused_inet_import(file: &SourceFile, replaced: usize) -> Option<Edit> {
    let statement = nodes_of(file, &["import_from_statement"])
        .into_iter()
        .find(|s| {
            s.child_by_field_name("module_name")
                .is_some_and(|m| file.node_text(m).ends_with("dialects.postgresql"))
        })?;
    let mut cursor = statement.walk();
    let names: Vec<Node<'_>> = statement
        .children_by_field_name("name", &mut cursor)
        .collect();
    let inet = names
        .iter()
        .find(|n| n.kind() == "dotted_name" && file.node_text(**n) == "INET")?;
    let uses = nodes_of(file, &["identifier"])
        .into_iter()
        .filter(|n| file.node_text(*n) == "INET")
        .filter(|n| {
            let mut up = n.parent();
            while let Some(p) = up {
                if p.kind() == "import_from_statement" {
                    return false;
                }
                up = p.parent();
            }
            true
        })
        .count();
    if uses != replaced {
        return None;
    }
    Some(if names.len() == 1 {
        Edit::delete(
            file,
            edits::line_span(file, statement.start_byte(), statement.end_byte()),
        )
    } else {
        edits::remove_item(file, *inet)
    })
}

/// The variable a call's value is assigned to, through wrappers like
/// `Field(sa_column=Column(INET))`.
fn assigned_name<'f>(file: &'f SourceFile, node: Node<'_>) -> Option<&'f str> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if parent.kind() == "assignment" {
            let left = parent.child_by_field_name("left")?;
            return (left.kind() == "identifier").then(|| file.node_text(left));
        }
        if !matches!(parent.kind(), "call" | "argument_list" | "keyword_argument") {
            return None;
        }
        current = parent;
    }
    None
}

fn drizzle(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let text_imported = lang::nodes_of(file, &["import_specifier"])
        .into_iter()
        .any(|s| file.node_text(s) == "text");
    for call in nodes_of(file, &["call_expression"]) {
        if lang::callee(file, call) != "inet" {
            continue;
        }
        let named = lang::arguments(call)
            .first()
            .and_then(|a| string_value(file, *a))
            .is_some_and(|s| is_ip_column(&s));
        let keyed = call
            .parent()
            .filter(|p| p.kind() == "pair")
            .and_then(|p| p.child_by_field_name("key"))
            .is_some_and(|k| is_ip_column(file.node_text(k)));
        if !(named || keyed) {
            continue;
        }
        let Some(function) = call.child_by_field_name("function") else {
            continue;
        };
        let fix = text_imported.then(|| {
            Fix::safe(
                "declare the column with text()",
                vec![Edit::replace(file, function.byte_range(), "text")],
            )
        });
        out.push(
            Finding::new(ID, file, call.byte_range(), MESSAGE)
                .help("use `text(\"ip_address\")` from drizzle-orm/pg-core, then generate a migration")
                .maybe_fix(fix),
        );
    }
}

/// Prisma has no parser here: fields are one per line (`name Type attributes...`) inside
/// `model { }` blocks, which is the whole grammar this needs.
fn prisma(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
    let mut in_model = false;
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let code = line.split("//").next().unwrap_or_default();
        let trimmed = code.trim();
        if trimmed.starts_with("model ") && trimmed.ends_with('{') {
            in_model = true;
            continue;
        }
        if trimmed.starts_with('}') {
            in_model = false;
            continue;
        }
        let mut tokens = trimmed.split_whitespace();
        if !in_model || !tokens.next().is_some_and(is_ip_column) {
            continue;
        }
        let Some(at) = code.find("@db.Inet") else {
            continue;
        };
        let attr = start + at..start + at + "@db.Inet".len();
        let with_space = if code[..at].ends_with(' ') {
            attr.start - 1..attr.end
        } else {
            attr.clone()
        };
        out.push(
            Finding::new(ID, file, attr, MESSAGE)
                .help("drop `@db.Inet` (the column becomes text), then `prisma migrate dev`")
                .fix(Fix::safe(
                    "drop @db.Inet",
                    vec![Edit::delete(file, with_space)],
                )),
        );
    }
}
