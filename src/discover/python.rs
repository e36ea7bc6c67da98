//! Python facts read with tree-sitter: which module creates a FastAPI app, an APIRouter or a
//! synchronous SQLAlchemy/SQLModel engine.

use tree_sitter::{Node, Parser};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    /// Module-level names bound to `FastAPI(...)`.
    pub apps: Vec<String>,
    /// Module-level names bound to `APIRouter(...)`.
    pub routers: Vec<String>,
    /// Module-level names bound to `create_engine(...)` (SQLAlchemy or SQLModel; not the
    /// async `create_async_engine`).
    pub engines: Vec<String>,
}

/// Parse a module and report its module-level `X = FastAPI(...)`, `X = APIRouter(...)` and
/// `X = create_engine(...)`.
pub fn scan(source: &[u8]) -> ModuleFacts {
    let mut facts = ModuleFacts::default();
    // Cheap pre-filter: most modules mention neither class.
    if !contains(source, b"FastAPI")
        && !contains(source, b"APIRouter")
        && !contains(source, b"create_engine")
    {
        return facts;
    }
    module_assignments(source, |left, right| {
        if left.kind() != "identifier" || right.kind() != "call" {
            return;
        }
        let name = text(left, source);
        match called_class(right, source) {
            Some("FastAPI") => facts.apps.push(name),
            Some("APIRouter") => facts.routers.push(name),
            Some("create_engine") => facts.engines.push(name),
            _ => {}
        }
    });
    facts
}

/// An Alembic revision file's module-level `revision` and `down_revision` (a string, `None`
/// or a tuple of strings, with or without type annotations).
pub fn alembic_revision(source: &[u8]) -> Option<(String, Vec<String>)> {
    let (mut revision, mut down) = (None, Vec::new());
    module_assignments(source, |left, right| match text(left, source).as_str() {
        "revision" => revision = string_values(right, source).into_iter().next(),
        "down_revision" => down = string_values(right, source),
        _ => {}
    });
    Some((revision?, down))
}

/// Call `visit(target, value)` for every module-level assignment (annotated or not).
fn module_assignments(source: &[u8], mut visit: impl FnMut(Node<'_>, Node<'_>)) {
    let mut parser = Parser::new();
    if parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .is_err()
    {
        return;
    }
    let Some(tree) = parser.parse(source, None) else {
        return;
    };
    let root = tree.root_node();
    let mut cursor = root.walk();
    for statement in root.children(&mut cursor) {
        let Some(assignment) = statement
            .named_child(0)
            .filter(|a| statement.kind() == "expression_statement" && a.kind() == "assignment")
        else {
            continue;
        };
        if let (Some(left), Some(right)) = (
            assignment.child_by_field_name("left"),
            assignment.child_by_field_name("right"),
        ) {
            visit(left, right);
        }
    }
}

/// `"a"` → [a]; `("a", "b")` → [a, b]; anything else → [].
fn string_values(node: Node<'_>, source: &[u8]) -> Vec<String> {
    match node.kind() {
        "string" => {
            let raw = text(node, source);
            vec![raw.trim_matches(|c| c == '"' || c == '\'').to_owned()]
        }
        "tuple" | "list" | "parenthesized_expression" => {
            let mut cursor = node.walk();
            node.named_children(&mut cursor)
                .flat_map(|child| string_values(child, source))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// `FastAPI(...)` → `FastAPI`; `fastapi.FastAPI(...)` → `FastAPI`; `sa.create_engine(...)` →
/// `create_engine`.
fn called_class<'s>(call: Node<'_>, source: &'s [u8]) -> Option<&'s str> {
    let function = call.child_by_field_name("function")?;
    let name_node = match function.kind() {
        "identifier" => function,
        "attribute" => function.child_by_field_name("attribute")?,
        _ => return None,
    };
    std::str::from_utf8(&source[name_node.byte_range()]).ok()
}

fn text(node: Node<'_>, source: &[u8]) -> String {
    String::from_utf8_lossy(&source[node.byte_range()]).into_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_module_level_app_and_routers() {
        let src = br#"
from fastapi import FastAPI, APIRouter
import fastapi

app = FastAPI(title="x")
router = APIRouter(prefix="/items")
admin = fastapi.APIRouter()

def build():
    inner = FastAPI()  # not module level
    return inner

# app2 = FastAPI()
"#;
        let facts = scan(src);
        assert_eq!(facts.apps, vec!["app"]);
        assert_eq!(facts.routers, vec!["router", "admin"]);
    }

    #[test]
    fn reads_alembic_revisions_in_every_style() {
        let plain = b"revision = \"0002\"\ndown_revision = \"0001\"\n";
        assert_eq!(
            alembic_revision(plain),
            Some(("0002".into(), vec!["0001".into()]))
        );
        let typed = b"revision: str = 'b7'\ndown_revision: Union[str, None] = None\n";
        assert_eq!(alembic_revision(typed), Some(("b7".into(), vec![])));
        let merge = b"revision = 'm1'\ndown_revision = ('a1', 'b1')\n";
        assert_eq!(
            alembic_revision(merge),
            Some(("m1".into(), vec!["a1".into(), "b1".into()]))
        );
        assert_eq!(alembic_revision(b"x = 1\n"), None);
    }

    #[test]
    fn finds_sync_engines_only() {
        let src = br#"
import sqlalchemy as sa
from sqlmodel import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_engine(URL, pool_pre_ping=True)
legacy = sa.create_engine(URL)
async_engine = create_async_engine(URL)
"#;
        assert_eq!(scan(src).engines, vec!["engine", "legacy"]);
    }

    #[test]
    fn strings_and_comments_do_not_count() {
        let src = b"doc = 'app = FastAPI()'\n# router = APIRouter()\n";
        assert_eq!(scan(src), ModuleFacts::default());
    }
}
