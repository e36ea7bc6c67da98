//! `route-order`: routes registered in an order that hides or unprotects them, in Express
//! ([`express`]), FastAPI ([`fastapi`]) and axum ([`axum`]); `diagnostics/route-order.md`
//! says what each finds and how safe its fixes are. Fixes move whole statements or decorated
//! definitions, with the comment lines directly above them, byte for byte.

use std::ops::Range;

use tree_sitter::Node;

use crate::doctor::edits::line_start;
use crate::doctor::finding::Finding;
use crate::doctor::workspace::{Lang, SourceFile, Workspace};

use super::Check;

mod axum;
mod express;
mod fastapi;

use axum::axum;
use express::express;
use fastapi::fastapi;

pub struct RouteOrder;

const ID: &str = "route-order";

impl Check for RouteOrder {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
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

// ---- moving statements, shared by the three stacks ----

/// The whole lines of `stmt` plus the comment lines directly above it, when the statement has
/// its lines to itself (nothing but whitespace before it, at most a comment after it).
pub(super) fn block(file: &SourceFile, stmt: Node<'_>) -> Option<Range<usize>> {
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
pub(super) fn as_lines(text: &str, newline: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}{newline}")
    }
}

/// Named children of `parent` that are statements (comments skipped).
pub(super) fn statements(parent: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = parent.walk();
    parent
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::fastapi::shadows;
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
