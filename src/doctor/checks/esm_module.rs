//! `esm-module`: a Node server that loads better-auth (ES modules only) as CommonJS.
//!
//! What it finds, why that breaks, and how safe its fixes are: `diagnostics/esm-module.md`.

use std::rc::Rc;

use serde_json::Value;
use tree_sitter::Node;

use crate::doctor::edits::{line_indent, newline};
use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::lang::js::{js_imports, property, property_pair};
use crate::doctor::lang::{arguments, callee, nodes_of, string_value};
use crate::doctor::workspace::{Lang, SourceFile, Workspace};

use super::Check;

pub struct EsmModule;

const ID: &str = "esm-module";

const SERVER_DEPS: &[&str] = &[
    "express",
    "hono",
    "@hono/node-server",
    "fastify",
    "koa",
    "h3",
    "polka",
];

/// Frameworks and runtimes that load ES modules whatever `"type"` says.
const BUNDLED_OR_ESM_RUNTIME: &[&str] = &[
    "next",
    "nuxt",
    "@sveltejs/kit",
    "@remix-run/node",
    "@remix-run/dev",
    "@react-router/dev",
    "astro",
    "@tanstack/react-start",
    "@tanstack/start",
    "@solidjs/start",
    "expo",
    "react-native",
    "wrangler",
    "@cloudflare/workers-types",
    "@types/bun",
    "bun-types",
];

impl Check for EsmModule {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let manifests: Vec<String> = ws.named("package.json").cloned().collect();
    for rel in &manifests {
        let Some(manifest) = ws.source(rel) else {
            continue;
        };
        let Ok(Value::Object(json)) = serde_json::from_str::<Value>(&manifest.text) else {
            continue;
        };
        let dir = manifest.dir().to_owned();
        let sources = package_sources(ws, &dir, &manifests);
        if !checked(&json, &sources) {
            continue;
        }
        let tsconfig_rel = crate::discover::join_rel(&dir, "tsconfig.json");
        let tsconfig = ws.source(&tsconfig_rel);
        let emits_cjs = tsconfig.as_ref().and_then(|t| commonjs_module(t));
        let ty = json.get("type").and_then(Value::as_str);
        if ty != Some("module") {
            let node_module = tsconfig.as_ref().is_some_and(|t| node_module(t));
            package_finding(&manifest, &sources, emits_cjs.is_some(), node_module, out);
        }
        if let (Some(tsconfig), Some(module)) = (tsconfig, emits_cjs) {
            tsconfig_finding(&tsconfig, module, out);
        }
    }
}

/// A runtime dependency (a server needs both better-auth and its framework at run time).
fn has_dep(json: &serde_json::Map<String, Value>, name: &str) -> bool {
    json.get("dependencies").and_then(|d| d.get(name)).is_some()
}

/// Any dependency, development ones included (for frameworks and runtimes that take over).
fn has_any_dep(json: &serde_json::Map<String, Value>, name: &str) -> bool {
    ["dependencies", "devDependencies", "peerDependencies"]
        .iter()
        .any(|key| json.get(*key).and_then(|d| d.get(name)).is_some())
}

/// The JS/TS files of the package in `dir` (not those of a nested package).
fn package_sources(ws: &Workspace, dir: &str, manifests: &[String]) -> Vec<Rc<SourceFile>> {
    let inside = |rel: &str, dir: &str| dir.is_empty() || rel.starts_with(&format!("{dir}/"));
    ws.files_in(&[Lang::JavaScript, Lang::TypeScript, Lang::Tsx])
        .filter(|rel| inside(rel, dir))
        .filter(|rel| {
            // The nearest package.json above the file is this one.
            !manifests.iter().any(|m| {
                let other = crate::discover::parent(m);
                other != dir && other.len() > dir.len() && inside(other, dir) && inside(rel, other)
            })
        })
        .filter_map(|rel| ws.source(rel))
        .collect()
}

fn is_esm_extension(rel: &str) -> bool {
    rel.ends_with(".mjs") || rel.ends_with(".mts")
}

/// Whether the package is a Node server loading better-auth that `"type"` decides for.
fn checked(json: &serde_json::Map<String, Value>, sources: &[Rc<SourceFile>]) -> bool {
    if !has_dep(json, "better-auth") {
        return false;
    }
    if BUNDLED_OR_ESM_RUNTIME.iter().any(|d| has_any_dep(json, d)) {
        return false;
    }
    let scripts: Vec<&str> = json
        .get("scripts")
        .and_then(Value::as_object)
        .map(|s| s.values().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if scripts.iter().any(|s| {
        s.split_whitespace()
            .any(|w| matches!(w, "bun" | "bunx" | "wrangler" | "deno"))
    }) {
        return false;
    }
    // tsx (and vite-node) load ES modules from CommonJS themselves: a package they alone run
    // does not fail. Plain node, nodemon, ts-node or pm2 do.
    let node_runner = |word: &str| {
        matches!(
            word,
            "node" | "nodemon" | "ts-node" | "ts-node-dev" | "pm2" | "pm2-runtime" | "forever"
        )
    };
    if !scripts.is_empty()
        && !scripts
            .iter()
            .any(|s| s.split_whitespace().any(node_runner))
    {
        return false;
    }
    let importers: Vec<&Rc<SourceFile>> = sources
        .iter()
        .filter(|f| {
            js_imports(f)
                .iter()
                .any(|m| m == "better-auth" || m.starts_with("better-auth/"))
        })
        .collect();
    let main_esm = json
        .get("main")
        .and_then(Value::as_str)
        .is_some_and(is_esm_extension)
        || scripts
            .iter()
            .any(|s| s.split_whitespace().any(|w| w.ends_with(".mjs")));
    // Nothing in the package imports better-auth: nothing loads it as CommonJS here.
    if main_esm || importers.is_empty() || importers.iter().all(|f| is_esm_extension(&f.rel)) {
        return false;
    }
    SERVER_DEPS.iter().any(|d| has_dep(json, d))
        || sources
            .iter()
            .any(|f| js_imports(f).iter().any(|m| m == "better-auth/node"))
}

/// Why `"type": "module"` alone could break the package: the first CommonJS-only construct.
fn commonjs_construct(file: &SourceFile) -> Option<(usize, &'static str)> {
    if is_esm_extension(&file.rel) || file.rel.ends_with(".cjs") || file.rel.ends_with(".cts") {
        return None;
    }
    let nodes = nodes_of(
        file,
        &[
            "call_expression",
            "member_expression",
            "identifier",
            "import_require_clause",
            "variable_declarator",
            "import_statement",
            "export_statement",
        ],
    );
    // `const require = createRequire(import.meta.url)` / `const __dirname = ...` are the ES
    // module idioms.
    let declared = |name: &str| {
        nodes.iter().any(|n| {
            n.kind() == "variable_declarator"
                && n.child_by_field_name("name")
                    .is_some_and(|v| file.node_text(v) == name)
        })
    };
    for node in &nodes {
        let found = match node.kind() {
            "call_expression"
                if matches!(callee(file, *node), "require" | "require.resolve")
                    && !declared("require") =>
            {
                Some("uses `require`")
            }
            "import_require_clause" => Some("uses `import x = require(...)`"),
            "member_expression" => {
                let object = node
                    .child_by_field_name("object")
                    .map(|o| file.node_text(o))
                    .unwrap_or_default();
                let text = file.node_text(*node);
                if text == "module.exports" || text.starts_with("module.exports.") {
                    Some("uses `module.exports`")
                } else if object == "exports" && !declared("exports") {
                    Some("uses `exports`")
                } else {
                    None
                }
            }
            "identifier" => match file.node_text(*node) {
                name @ ("__dirname" | "__filename") if !declared(name) => {
                    Some(if name == "__dirname" {
                        "uses `__dirname`"
                    } else {
                        "uses `__filename`"
                    })
                }
                _ => None,
            },
            "import_statement" | "export_statement" => node
                .child_by_field_name("source")
                .and_then(|s| string_value(file, s))
                .filter(|s| extensionless_relative(s))
                .map(|_| "imports a relative path without a file extension"),
            _ => None,
        };
        if let Some(what) = found {
            return Some((node.start_byte(), what));
        }
    }
    // `await import("./x")`
    for call in nodes_of(file, &["call_expression"]) {
        if callee(file, call) == "import"
            && arguments(call)
                .first()
                .and_then(|a| string_value(file, *a))
                .is_some_and(|s| extensionless_relative(&s))
        {
            return Some((
                call.start_byte(),
                "imports a relative path without a file extension",
            ));
        }
    }
    None
}

fn extensionless_relative(specifier: &str) -> bool {
    if !(specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier == "."
        || specifier == "..")
    {
        return false;
    }
    let last = specifier.rsplit('/').next().unwrap_or(specifier);
    let ext = last.rsplit_once('.').map(|(_, e)| e);
    !matches!(
        ext,
        Some(
            "js" | "mjs"
                | "cjs"
                | "jsx"
                | "ts"
                | "mts"
                | "cts"
                | "tsx"
                | "json"
                | "node"
                | "css"
                | "scss"
                | "svg"
                | "png"
                | "wasm"
        )
    )
}

/// The top-level object of a JSON file.
#[allow(clippy::let_and_return)] // the binding ends the cursor borrow before return
fn json_object(file: &SourceFile) -> Option<Node<'_>> {
    let root = file.tree()?.root_node();
    let mut cursor = root.walk();
    let found = root
        .named_children(&mut cursor)
        .find(|n| n.kind() == "object");
    found
}

/// The edit declaring the package an ES module.
fn type_module_edit(file: &SourceFile, object: Node<'_>) -> Option<Edit> {
    if let Some(value) = property(file, object, "type") {
        return Some(Edit::replace(file, value.byte_range(), "\"module\""));
    }
    let pairs: Vec<Node<'_>> = {
        let mut cursor = object.walk();
        object
            .named_children(&mut cursor)
            .filter(|n| n.kind() == "pair")
            .collect()
    };
    let anchor =
        property_pair(file, object, "version").or_else(|| property_pair(file, object, "name"));
    match anchor {
        Some(anchor) => {
            let next = pairs.iter().find(|p| p.start_byte() > anchor.end_byte());
            let same_line =
                next.is_some_and(|n| n.start_position().row == anchor.end_position().row);
            let text = if same_line || anchor.start_position().row == object.start_position().row {
                ", \"type\": \"module\"".to_owned()
            } else {
                format!(
                    ",{}{}\"type\": \"module\"",
                    newline(file),
                    line_indent(file, anchor.start_byte())
                )
            };
            Some(Edit::insert(file, anchor.end_byte(), text))
        }
        None => {
            let first = pairs.first()?;
            let text = if first.start_position().row == object.start_position().row {
                "\"type\": \"module\", ".to_owned()
            } else {
                format!(
                    "\"type\": \"module\",{}{}",
                    newline(file),
                    line_indent(file, first.start_byte())
                )
            };
            Some(Edit::insert(file, first.start_byte(), text))
        }
    }
}

fn package_finding(
    manifest: &Rc<SourceFile>,
    sources: &[Rc<SourceFile>],
    tsconfig_cjs: bool,
    ts_node_module: bool,
    out: &mut Vec<Finding>,
) {
    let Some(object) = json_object(manifest) else {
        return;
    };
    let type_value = property(manifest, object, "type");
    let span = type_value.map(|v| v.byte_range()).or_else(|| {
        ["dependencies", "devDependencies", "peerDependencies"]
            .iter()
            .find_map(|key| {
                property(manifest, object, key)
                    .and_then(|deps| property_pair(manifest, deps, "better-auth"))
                    .and_then(|pair| pair.child_by_field_name("key"))
            })
            .map(|k| k.byte_range())
    });
    let Some(span) = span else {
        return;
    };
    let what = match type_value {
        Some(_) => "declares `\"type\": \"commonjs\"`",
        None => "has no `\"type\": \"module\"`",
    };
    let tsc = if ts_node_module {
        " (with `\"module\": \"NodeNext\"` in tsconfig.json, tsc stops first with TS1479: the file is a CommonJS module whose imports will produce 'require' calls)"
    } else {
        ""
    };
    let message = format!(
        "package.json {what}, so Node loads this server as CommonJS and `import ... from \"better-auth\"` becomes `require()`: better-auth ships only ES modules, so the server fails with ERR_REQUIRE_ESM (or `Cannot use import statement outside a module`) and Better Auth does not support CommonJS{tsc}"
    );
    let mut reasons = Vec::new();
    if tsconfig_cjs {
        reasons.push("tsconfig.json compiles to CommonJS as well".to_owned());
    }
    reasons.extend(sources.iter().find_map(|f| {
        commonjs_construct(f).map(|(at, what)| format!("{}:{} {what}", f.rel, f.position(at).line))
    }));
    let reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    let fix = type_module_edit(manifest, object).map(|edit| match &reason {
        None => Fix::safe(
            "declare the package an ES module (\"type\": \"module\")",
            vec![edit],
        ),
        Some(reason) => Fix::unsafe_(
            format!("declare the package an ES module (\"type\": \"module\"); review: {reason}"),
            vec![edit],
        ),
    });
    let help = match &reason {
        None => "add `\"type\": \"module\"` to package.json".to_owned(),
        Some(reason) => format!(
            "add `\"type\": \"module\"` to package.json and convert what still needs CommonJS ({reason}; rename such files to .cjs or use import/export)"
        ),
    };
    out.push(
        Finding::new(ID, manifest, span, message)
            .help(help)
            .maybe_fix(fix),
    );
}

/// The `"module"` value node of `compilerOptions` when it is CommonJS and the config emits.
fn commonjs_module(tsconfig: &SourceFile) -> Option<std::ops::Range<usize>> {
    let object = json_object(tsconfig)?;
    let options = property(tsconfig, object, "compilerOptions")?;
    let module = property(tsconfig, options, "module")?;
    let value = string_value(tsconfig, module)?;
    let no_emit = property(tsconfig, options, "noEmit").is_some_and(|n| n.kind() == "true");
    (value.eq_ignore_ascii_case("commonjs") && !no_emit).then(|| module.byte_range())
}

/// Whether tsconfig.json says `"module": "node16"`/`"nodenext"` (CommonJS unless the package is
/// `"type": "module"`).
fn node_module(tsconfig: &SourceFile) -> bool {
    json_object(tsconfig)
        .and_then(|o| property(tsconfig, o, "compilerOptions"))
        .and_then(|o| property(tsconfig, o, "module"))
        .and_then(|m| string_value(tsconfig, m))
        .is_some_and(|m| {
            matches!(
                m.to_ascii_lowercase().as_str(),
                "node16" | "node18" | "nodenext"
            )
        })
}

fn tsconfig_finding(
    tsconfig: &Rc<SourceFile>,
    module: std::ops::Range<usize>,
    out: &mut Vec<Finding>,
) {
    let mut edits = vec![Edit::replace(tsconfig, module.clone(), "\"NodeNext\"")];
    if let Some(resolution) = json_object(tsconfig)
        .and_then(|o| property(tsconfig, o, "compilerOptions"))
        .and_then(|o| property(tsconfig, o, "moduleResolution"))
    {
        let value = string_value(tsconfig, resolution).unwrap_or_default();
        if !matches!(value.to_ascii_lowercase().as_str(), "node16" | "nodenext") {
            edits.push(Edit::replace(
                tsconfig,
                resolution.byte_range(),
                "\"NodeNext\"",
            ));
        }
    }
    out.push(
        Finding::new(
            ID,
            tsconfig,
            module,
            "tsconfig.json compiles to CommonJS (`\"module\": \"commonjs\"`): every `import` of better-auth is emitted as `require()`, which fails with ERR_REQUIRE_ESM because better-auth ships only ES modules",
        )
        .help("set `\"module\": \"NodeNext\"` (and `\"moduleResolution\": \"NodeNext\"`); relative imports then need their `.js` extension")
        .fix(Fix::unsafe_(
            "compile to ES modules (\"module\": \"NodeNext\"); relative imports need `.js` extensions",
            edits,
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit_result(text: &str) -> String {
        let file = SourceFile::new("package.json", text.to_owned());
        let object = json_object(&file).unwrap();
        let edit = type_module_edit(&file, object).unwrap();
        let mut new = text.to_owned();
        new.replace_range(edit.start..edit.end, &edit.text());
        new
    }

    #[test]
    fn inserts_type_after_version_in_the_file_layout() {
        assert_eq!(
            edit_result(
                "{\n    \"name\": \"api\",\n    \"version\": \"1.0.0\",\n    \"main\": \"index.js\"\n}\n"
            ),
            "{\n    \"name\": \"api\",\n    \"version\": \"1.0.0\",\n    \"type\": \"module\",\n    \"main\": \"index.js\"\n}\n"
        );
        assert_eq!(
            edit_result("{\r\n\t\"name\": \"api\",\r\n\t\"dependencies\": {}\r\n}\r\n"),
            "{\r\n\t\"name\": \"api\",\r\n\t\"type\": \"module\",\r\n\t\"dependencies\": {}\r\n}\r\n"
        );
        assert_eq!(
            edit_result("{\"name\":\"api\",\"dependencies\":{}}"),
            "{\"name\":\"api\", \"type\": \"module\",\"dependencies\":{}}"
        );
        assert_eq!(
            edit_result("{\n  \"private\": true,\n  \"type\": \"commonjs\"\n}"),
            "{\n  \"private\": true,\n  \"type\": \"module\"\n}"
        );
        assert_eq!(
            edit_result("{\n  \"private\": true\n}"),
            "{\n  \"type\": \"module\",\n  \"private\": true\n}"
        );
    }

    #[test]
    fn commonjs_constructs() {
        let check = |rel: &str, text: &str| {
            commonjs_construct(&SourceFile::new(rel, text.to_owned())).map(|(_, w)| w)
        };
        assert_eq!(
            check("a.js", "const x = require(\"x\");"),
            Some("uses `require`")
        );
        assert_eq!(
            check("a.js", "module.exports = {};"),
            Some("uses `module.exports`")
        );
        assert_eq!(
            check("a.ts", "console.log(__dirname);"),
            Some("uses `__dirname`")
        );
        assert_eq!(
            check("a.ts", "import { auth } from \"./auth\";"),
            Some("imports a relative path without a file extension")
        );
        assert_eq!(
            check(
                "a.ts",
                "import { auth } from \"./auth.js\";\nimport express from \"express\";"
            ),
            None
        );
        assert_eq!(
            check(
                "a.ts",
                "import { createRequire } from \"node:module\";\nconst require = createRequire(import.meta.url);\nconst __dirname = new URL(\".\", import.meta.url).pathname;\nrequire(\"x\"); console.log(__dirname);"
            ),
            None
        );
        assert_eq!(check("a.cjs", "module.exports = {};"), None);
    }
}
