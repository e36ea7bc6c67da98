//! axum: routes added after the authentication layer, and a `route_layer` with no route.

use std::rc::Rc;

use tree_sitter::Node;

use crate::doctor::finding::{Edit, Finding, Fix, Severity};
use crate::doctor::lang::rust::{is_chain_top, rust_chain};
use crate::doctor::lang::{arguments, callee_name, descendants, nodes_of, string_value};
use crate::doctor::workspace::SourceFile;

use super::ID;

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

pub(super) fn axum(file: &Rc<SourceFile>, out: &mut Vec<Finding>) {
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
