//! Backends, migrations, frontends, workspaces and existing auth servers.

use super::inventory::{Inventory, file_name, parent};
use super::{
    AUTHGEN_REVISION, AuthServer, AuthServerKind, Backend, BackendFramework, Frontend,
    MigrationKind, Migrations, PythonName, Workspace, join_rel, python,
};

pub fn find_backends(inv: &Inventory, warnings: &mut Vec<String>) -> Vec<Backend> {
    let mut backends = Vec::new();
    for dir in python_candidate_dirs(inv, warnings) {
        backends.push(fastapi_backend(inv, dir, warnings));
    }
    for manifest in inv.named("Cargo.toml") {
        let Some(text) = inv.read_text(manifest, warnings) else {
            continue;
        };
        let Ok(doc) = text.parse::<toml::Table>() else {
            warnings.push(format!("{manifest}: not valid TOML, skipped"));
            continue;
        };
        if doc.get("package").is_none() || !cargo_depends_on(&doc, "axum") {
            continue;
        }
        let dir = parent(manifest).to_owned();
        let entry = join_rel(&dir, "src/main.rs");
        let migrations = find_migrations(inv, &dir, cargo_depends_on(&doc, "sqlx"));
        backends.push(Backend {
            kind: BackendFramework::Axum,
            entry: inv.has_file(&entry).then_some(entry),
            app_var: None,
            package: None,
            import_root: None,
            engine: None,
            tests_dir: None,
            routers: Vec::new(),
            manifest: manifest.clone(),
            migrations,
            dir,
        });
    }
    backends.sort_by(|a, b| a.dir.cmp(&b.dir));
    backends
}

/// Directories whose Python manifest declares FastAPI, with that manifest.
fn python_candidate_dirs(inv: &Inventory, warnings: &mut Vec<String>) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    for file in &inv.files {
        let name = file_name(file);
        let is_requirements = name.starts_with("requirements") && name.ends_with(".txt");
        if name != "pyproject.toml" && !is_requirements {
            continue;
        }
        let mut dir = parent(file);
        if is_requirements && file_name(dir) == "requirements" {
            dir = parent(dir);
        }
        if dirs.iter().any(|d| d == dir) {
            continue;
        }
        let Some(text) = inv.read_text(file, warnings) else {
            continue;
        };
        let declares = if name == "pyproject.toml" {
            pyproject_dependencies(&text).iter().any(|d| d == "fastapi")
        } else {
            requirement_names(&text).any(|d| d == "fastapi")
        };
        if declares {
            dirs.push(dir.to_owned());
        }
    }
    dirs
}

fn fastapi_backend(inv: &Inventory, dir: String, warnings: &mut Vec<String>) -> Backend {
    let mut apps: Vec<(String, String)> = Vec::new();
    let mut routers = Vec::new();
    let mut engines: Vec<(String, String)> = Vec::new();
    for file in inv.under(&dir) {
        if !file.ends_with(".py") || is_test_module(file) {
            continue;
        }
        let bytes = match inv.read_bytes(file) {
            Ok(bytes) => bytes,
            Err(reason) => {
                warnings.push(format!("{file}: {reason}, skipped"));
                continue;
            }
        };
        let facts = python::scan(&bytes);
        if let Some(var) = facts.apps.into_iter().next() {
            apps.push((file.clone(), var));
        }
        if !facts.routers.is_empty() {
            routers.push(file.clone());
        }
        if let Some(var) = facts.engines.into_iter().next() {
            engines.push((file.clone(), var));
        }
    }
    // The conventional entry-point names first, then the shallowest file.
    apps.sort_by_key(|(file, _)| {
        let conventional = matches!(
            file_name(file),
            "main.py" | "app.py" | "server.py" | "asgi.py"
        );
        (!conventional, file.matches('/').count(), file.clone())
    });
    let (entry, app_var) = apps.into_iter().next().unzip();
    let package = entry
        .as_deref()
        .map(parent)
        .filter(|pkg| inv.has_file(&join_rel(pkg, "__init__.py")))
        .map(str::to_owned);
    let import_root = package.as_deref().map(|pkg| import_root(inv, &dir, pkg));
    // The engine the app itself uses: inside the importable tree, shallowest first.
    engines.sort_by_key(|(file, _)| (file.matches('/').count(), file.clone()));
    let engine = import_root.as_deref().and_then(|root| {
        engines.iter().find_map(|(file, var)| {
            Some(PythonName {
                module: module_name(root, file)?,
                name: var.clone(),
            })
        })
    });
    let pyproject = join_rel(&dir, "pyproject.toml");
    let pyproject_text = inv
        .has_file(&pyproject)
        .then(|| inv.read_text(&pyproject, &mut Vec::new()))
        .flatten();
    let tests_dir = pyproject_text
        .as_deref()
        .and_then(pytest_testpath)
        .map(|p| join_rel(&dir, p.trim_start_matches("./").trim_end_matches('/')))
        .or_else(|| Some(join_rel(&dir, "tests")).filter(|t| inv.has_dir(t)));
    let manifest = if pyproject_text
        .as_deref()
        .is_some_and(|t| pyproject_dependencies(t).iter().any(|d| d == "fastapi"))
    {
        pyproject
    } else {
        join_rel(&dir, "requirements.txt")
    };
    let migrations = find_migrations(inv, &dir, false);
    Backend {
        kind: BackendFramework::Fastapi,
        dir,
        entry,
        app_var,
        package,
        import_root,
        engine,
        tests_dir,
        routers,
        manifest,
        migrations,
    }
}

/// The directory a package is imported from: the parent of its outermost package (a chain of
/// directories with `__init__.py`), never above the backend's directory.
fn import_root(inv: &Inventory, backend_dir: &str, package: &str) -> String {
    let mut top = package;
    loop {
        let up = parent(top);
        if up == top
            || !up.starts_with(backend_dir)
            || up.len() < backend_dir.len()
            || !inv.has_file(&join_rel(up, "__init__.py"))
        {
            return parent(top).to_owned();
        }
        top = up;
    }
}

/// `backend/app/db.py` under `backend` → `app.db`; `None` outside `root`.
pub fn module_name(root: &str, file: &str) -> Option<String> {
    let rel = if root.is_empty() {
        file
    } else {
        file.strip_prefix(root)?.strip_prefix('/')?
    };
    let rel = rel.strip_suffix(".py")?;
    let rel = rel.strip_suffix("/__init__").unwrap_or(rel);
    Some(rel.replace('/', "."))
}

/// The first of `[tool.pytest.ini_options] testpaths`.
fn pytest_testpath(pyproject: &str) -> Option<String> {
    let doc: toml::Table = pyproject.parse().ok()?;
    doc.get("tool")?
        .get("pytest")?
        .get("ini_options")?
        .get("testpaths")?
        .as_array()?
        .first()?
        .as_str()
        .map(str::to_owned)
}

fn is_test_module(file: &str) -> bool {
    let name = file_name(file);
    name.starts_with("test_")
        || name.ends_with("_test.py")
        || name == "conftest.py"
        || file
            .split('/')
            .any(|part| part == "tests" || part == "test")
}

/// The migration system used in `dir`.
pub fn find_migrations(inv: &Inventory, dir: &str, uses_sqlx: bool) -> Migrations {
    let alembic_ini = join_rel(dir, "alembic.ini");
    if inv.has_file(&alembic_ini) {
        let location = inv
            .read_text(&alembic_ini, &mut Vec::new())
            .and_then(|text| ini_value(&text, "script_location"))
            .unwrap_or_else(|| "alembic".to_owned());
        let location = location
            .trim_start_matches("%(here)s/")
            .trim_end_matches('/');
        return alembic(inv, join_rel(&join_rel(dir, location), "versions"));
    }
    for script_dir in ["alembic", "migrations"] {
        let env_py = join_rel(&join_rel(dir, script_dir), "env.py");
        if inv.has_file(&env_py) {
            return alembic(inv, join_rel(&join_rel(dir, script_dir), "versions"));
        }
    }
    for candidate in [
        "migrations",
        "db/migrations",
        "database/migrations",
        "sql/migrations",
        "supabase/migrations",
        "migrations/sql",
        "sql",
    ] {
        let path = join_rel(dir, candidate);
        if !inv.has_dir(&path) {
            continue;
        }
        let has_sql = inv
            .under(&path)
            .any(|f| f.ends_with(".sql") && parent(f) == path);
        if has_sql {
            let kind = if uses_sqlx && candidate == "migrations" {
                MigrationKind::Sqlx
            } else {
                MigrationKind::Sql
            };
            return Migrations {
                kind,
                dir: Some(path),
                heads: Vec::new(),
            };
        }
    }
    Migrations::NONE
}

/// Alembic migrations in `versions`, with the revisions authgen's revision goes on top of.
fn alembic(inv: &Inventory, versions: String) -> Migrations {
    let mut revisions: Vec<(String, Vec<String>)> = Vec::new();
    for file in inv.under(&versions) {
        if !file.ends_with(".py") || parent(file) != versions {
            continue;
        }
        if let Some(revision) = inv
            .read_bytes(file)
            .ok()
            .and_then(|bytes| python::alembic_revision(&bytes))
        {
            revisions.push(revision);
        }
    }
    let heads = match revisions.iter().find(|(id, _)| id == AUTHGEN_REVISION) {
        // Already written: keep its place in the history.
        Some((_, parents)) => parents.clone(),
        None => {
            let mut heads: Vec<String> = revisions
                .iter()
                .filter(|(id, _)| !revisions.iter().any(|(_, down)| down.contains(id)))
                .map(|(id, _)| id.clone())
                .collect();
            heads.sort();
            heads
        }
    };
    Migrations {
        kind: MigrationKind::Alembic,
        dir: Some(versions),
        heads,
    }
}

/// A key's value in an INI file (enough for alembic.ini's `script_location`).
fn ini_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

pub fn find_frontend(inv: &Inventory, warnings: &mut Vec<String>) -> Option<Frontend> {
    let mut found: Vec<(String, serde_json::Value)> = Vec::new();
    for manifest in inv.named("package.json") {
        let Some(text) = inv.read_text(manifest, warnings) else {
            continue;
        };
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(json) if npm_depends_on(&json, "next") => found.push((manifest.clone(), json)),
            Ok(_) => {}
            Err(err) => warnings.push(format!("{manifest}: invalid JSON ({err}), skipped")),
        }
    }
    found.sort_by_key(|(m, _)| (m.matches('/').count(), m.clone()));
    let (manifest, json) = found.into_iter().next()?;
    let port = json
        .pointer("/scripts/dev")
        .and_then(|v| v.as_str())
        .and_then(next_dev_port)
        .unwrap_or(3000);
    Some(Frontend {
        kind: "nextjs",
        dir: parent(&manifest).to_owned(),
        origin: format!("http://localhost:{port}"),
        better_auth: npm_depends_on(&json, "better-auth"),
    })
}

/// The port of `next dev -p 3100` / `--port 3100` / `--port=3100`.
fn next_dev_port(script: &str) -> Option<u16> {
    let mut words = script.split_whitespace();
    while let Some(word) = words.next() {
        if let Some(value) = word.strip_prefix("--port=") {
            return value.parse().ok();
        }
        if word == "-p" || word == "--port" {
            return words.next()?.parse().ok();
        }
    }
    None
}

pub fn find_workspace(inv: &Inventory, warnings: &mut Vec<String>) -> Option<Workspace> {
    if !inv.has_file("Cargo.toml") {
        return None;
    }
    let text = inv.read_text("Cargo.toml", warnings)?;
    let doc: toml::Table = match text.parse() {
        Ok(doc) => doc,
        Err(_) => {
            warnings.push("Cargo.toml: not valid TOML, skipped".to_owned());
            return None;
        }
    };
    let workspace = doc.get("workspace")?.as_table()?;
    let members = workspace
        .get("members")
        .and_then(|m| m.as_array())
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Some(Workspace {
        manifest: "Cargo.toml".to_owned(),
        members,
    })
}

const AUTH_DIR_NAMES: &[&str] = &[
    "auth-server",
    "auth",
    "auth-service",
    "authserver",
    "auth_server",
];

/// The auth server: the one an earlier run generated (`generated_dir`), else a Better Auth
/// service or an auth-named directory with code.
pub fn find_auth_server(
    inv: &Inventory,
    generated_dir: Option<String>,
    warnings: &mut Vec<String>,
) -> Option<AuthServer> {
    if let Some(dir) = generated_dir {
        return Some(AuthServer {
            dir,
            kind: AuthServerKind::Authgen,
            better_auth: None,
        });
    }
    let mut candidates: Vec<AuthServer> = Vec::new();
    for manifest in inv.named("package.json") {
        let Some(text) = inv.read_text(manifest, warnings) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        // A Next.js app using the better-auth client is a frontend, not an auth server.
        if npm_depends_on(&json, "better-auth") && !npm_depends_on(&json, "next") {
            let dir = parent(manifest).to_owned();
            let better_auth = super::better_auth::read_options(inv, &dir, warnings);
            candidates.push(AuthServer {
                dir,
                kind: AuthServerKind::BetterAuth,
                better_auth,
            });
        }
    }
    for dir in &inv.dirs {
        let named = AUTH_DIR_NAMES.contains(&file_name(dir)) && dir.matches('/').count() < 3;
        let has_code = inv.has_file(&join_rel(dir, "Cargo.toml"))
            || inv.has_file(&join_rel(dir, "package.json"));
        if named && has_code && !candidates.iter().any(|c| &c.dir == dir) {
            candidates.push(AuthServer {
                dir: dir.clone(),
                kind: AuthServerKind::Other,
                better_auth: None,
            });
        }
    }
    candidates.sort_by_key(|c| (c.dir.matches('/').count(), c.dir.clone()));
    candidates.into_iter().next()
}

/// Normalised distribution names of a requirements file.
pub fn requirement_names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines().filter_map(|line| {
        let line = line.split('#').next()?.trim();
        if line.is_empty() || line.starts_with('-') {
            return None;
        }
        Some(distribution_name(line))
    })
}

/// Names declared in pyproject.toml: PEP 621, optional dependencies, dependency groups, Poetry.
pub fn pyproject_dependencies(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut from_array = |value: Option<&toml::Value>| {
        for item in value.and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(spec) = item.as_str() {
                names.push(distribution_name(spec));
            }
        }
    };
    let project = doc.get("project");
    from_array(project.and_then(|p| p.get("dependencies")));
    for table in [
        project.and_then(|p| p.get("optional-dependencies")),
        doc.get("dependency-groups"),
    ] {
        for (_, group) in table.and_then(|t| t.as_table()).into_iter().flatten() {
            from_array(Some(group));
        }
    }
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"));
    if let Some(table) = poetry.and_then(|d| d.as_table()) {
        names.extend(table.keys().map(|k| k.to_lowercase().replace('_', "-")));
    }
    names
}

/// `FastAPI[all]>=0.100 ; python_version>"3.8"` → `fastapi` (PEP 503 normalised).
fn distribution_name(spec: &str) -> String {
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(spec.len());
    spec[..end].to_lowercase().replace(['_', '.'], "-")
}

fn cargo_depends_on(doc: &toml::Table, krate: &str) -> bool {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .any(|section| doc.get(*section).and_then(|d| d.get(krate)).is_some())
        || doc
            .get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.get(krate))
            .is_some()
}

fn npm_depends_on(json: &serde_json::Value, package: &str) -> bool {
    ["dependencies", "devDependencies", "peerDependencies"]
        .iter()
        .any(|section| json.get(*section).and_then(|d| d.get(package)).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_names_are_normalised() {
        let text =
            "# api\nFastAPI[all]==0.115.0  # web\n-r base.txt\nuvicorn>=0.30\npydantic_settings\n";
        let names: Vec<String> = requirement_names(text).collect();
        assert_eq!(names, ["fastapi", "uvicorn", "pydantic-settings"]);
    }

    #[test]
    fn pyproject_dependencies_cover_pep621_groups_and_poetry() {
        let text = r#"
[project]
dependencies = ["fastapi>=0.115"]
[project.optional-dependencies]
dev = ["pytest"]
[dependency-groups]
lint = ["ruff"]
[tool.poetry.dependencies]
SQLAlchemy = "^2"
"#;
        assert_eq!(
            pyproject_dependencies(text),
            ["fastapi", "pytest", "ruff", "sqlalchemy"]
        );
    }

    #[test]
    fn next_dev_port_forms() {
        assert_eq!(next_dev_port("next dev -p 3100"), Some(3100));
        assert_eq!(next_dev_port("next dev --turbo --port=4000"), Some(4000));
        assert_eq!(next_dev_port("next dev"), None);
    }
}
