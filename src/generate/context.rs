//! The data every template sees. Built once per run from the project and the answers.

use serde::{Deserialize, Serialize};
use tera::{Context, Tera};

use super::GenerateError;
use super::templates::Templates;
use crate::configure::{AuthConfig, BackendKind, EmailVerification, Face, Method, TakeOver};
use crate::discover::{
    AUTHGEN_REVISION, Backend, BackendFramework, Database, Frontend, GitInfo, MigrationKind,
    Migrations, Project, PythonName, Workspace, join_rel, module_name,
};

/// The project as templates see it: the chosen backend only, paths relative to the root.
#[derive(Debug, Serialize)]
struct ProjectView<'a> {
    name: &'a str,
    backend: Option<&'a Backend>,
    migrations: &'a Migrations,
    database: &'a Database,
    frontend: Option<&'a Frontend>,
    workspace: Option<&'a Workspace>,
    git: Option<&'a GitInfo>,
    speckit: bool,
}

/// The axum verifier crate's directory: beside the auth server's.
pub fn axum_verifier_dir(auth_dir: &str) -> String {
    let parent = auth_dir.rsplit_once('/').map_or("", |(p, _)| p);
    join_rel(parent, "auth-verifier")
}

/// Where the FastAPI verifier package and its tests go, and how they are imported.
#[derive(Debug, Serialize)]
struct FastapiView<'a> {
    /// The package directory, e.g. `backend/app/auth`.
    dir: String,
    /// Its dotted import name, e.g. `app.auth`.
    module: String,
    tests_file: String,
    /// `tests/__init__.py` when authgen creates the tests directory.
    tests_package: Option<String>,
    engine: Option<&'a PythonName>,
}

fn fastapi_view<'a>(backend: &'a Backend, generated_files: &[String]) -> FastapiView<'a> {
    let (parent, module_prefix) = match (&backend.package, &backend.import_root) {
        (Some(package), Some(root)) => (
            package.clone(),
            module_name(root, &format!("{package}/__init__.py"))
                .map(|m| format!("{m}."))
                .unwrap_or_default(),
        ),
        _ => (backend.dir.clone(), String::new()),
    };
    let (tests_dir, tests_package) = match &backend.tests_dir {
        // authgen made this directory a package on an earlier run: keep it one.
        Some(dir) if generated_files.contains(&join_rel(dir, "__init__.py")) => {
            (dir.clone(), Some(join_rel(dir, "__init__.py")))
        }
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = join_rel(&backend.dir, "tests");
            let init = join_rel(&dir, "__init__.py");
            (dir, Some(init))
        }
    };
    FastapiView {
        dir: join_rel(&parent, "auth"),
        module: format!("{module_prefix}auth"),
        tests_file: join_rel(&tests_dir, "test_auth.py"),
        tests_package,
        engine: backend.engine.as_ref(),
    }
}

/// The Alembic revision that creates the auth server's tables in the backend's history.
#[derive(Debug, Serialize)]
struct AlembicView {
    file: String,
    revision: &'static str,
    /// A Python literal: `None`, `"0002"` or `("a1", "b1")`.
    down_revision: String,
    /// The auth server's migration SQL, byte for byte (the server compares checksums).
    schema_sql: String,
}

fn python_literal(heads: &[String]) -> String {
    match heads {
        [] => "None".to_owned(),
        [one] => format!("{one:?}"),
        many => format!(
            "({})",
            many.iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

const SCHEMA_TEMPLATE: &str = "auth-server/migrations/0001_init.sql.tera";

#[derive(Debug, Deserialize)]
struct EnvFile {
    var: Vec<EnvVar>,
}

#[derive(Debug, Deserialize, Serialize)]
struct EnvVar {
    name: String,
    required: bool,
    secret: bool,
    example: String,
    purpose: String,
    #[serde(default, skip_serializing)]
    when: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EndpointFile {
    endpoint: Vec<Endpoint>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Endpoint {
    method: String,
    /// With the base path, as the docs show it.
    path: String,
    /// Without the base path, as the server routes it (the base path is read at start):
    /// derived from `path` when the table is read, never written in it.
    #[serde(skip_deserializing)]
    route: String,
    summary: String,
    auth: String,
    status: u16,
    /// The JSON body's schema in `/openapi.json`.
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    request_optional: bool,
    /// A form-encoded body is accepted as well as JSON.
    #[serde(default)]
    form: bool,
    #[serde(default)]
    query: Vec<String>,
    /// The success body: a schema name, `html`, `redirect`, or none.
    #[serde(default)]
    response: Option<String>,
    /// Other statuses answered with the success body's schema.
    #[serde(default)]
    same_body: Vec<u16>,
    /// Every other status the route answers with.
    #[serde(default)]
    errors: Vec<u16>,
    group: String,
    #[serde(default, skip_serializing)]
    when: Option<String>,
}

#[derive(Debug, Serialize)]
struct CheckView<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'a str,
    summary: &'a str,
}

/// The host of the origin deploy files carry while no https frontend origin is known; the
/// generated server refuses to start with it in production.
pub const PLACEHOLDER_ORIGIN: &str = "https://your-frontend.invalid";

/// The CORS origins deploy files set for production: the https ones chosen at init, or a
/// placeholder the server refuses (never `http://localhost:3000`).
fn production_origins(origins: &[String]) -> Vec<&str> {
    let https: Vec<&str> = origins
        .iter()
        .map(String::as_str)
        .filter(|o| o.starts_with("https://"))
        .collect();
    if https.is_empty() {
        vec![PLACEHOLDER_ORIGIN]
    } else {
        https
    }
}

pub fn build(
    project: &Project,
    config: &AuthConfig,
    templates: &Templates,
) -> Result<Context, GenerateError> {
    let backend = chosen_backend(project, config);
    let migrations = backend.map_or(&project.root_migrations, |b| {
        if b.migrations.dir.is_some() {
            &b.migrations
        } else {
            &project.root_migrations
        }
    });
    let view = ProjectView {
        name: &project.name,
        backend,
        migrations,
        database: &project.database,
        frontend: project.frontend.as_ref(),
        workspace: project.workspace.as_ref(),
        git: project.git.as_ref(),
        speckit: project.speckit,
    };
    let mut ctx = Context::new();
    ctx.insert("authgen_version", env!("CARGO_PKG_VERSION"));
    ctx.insert("project", &view);
    ctx.insert("config", config);
    ctx.insert("auth_url", &format!("http://localhost:{}", config.port));
    ctx.insert(
        "production_origins",
        &production_origins(&config.cors_origins),
    );
    // The OAuth providers chosen, in a fixed order: `google`, `github`. Empty (falsy in Tera)
    // when the server has no OAuth sign-in at all.
    let oauth_providers: Vec<&str> = [Method::Google, Method::Github]
        .into_iter()
        .filter(|m| config.methods.contains(m))
        .map(Method::as_str)
        .collect();
    ctx.insert("oauth_providers", &oauth_providers);
    // The APIs the server answers on: the token API, and Better Auth's for the better-auth
    // client.
    ctx.insert("token_face", &config.faces.contains(&Face::Token));
    ctx.insert("better_auth", &config.faces.contains(&Face::BetterAuth));
    let take_over = config.take_over == TakeOver::BetterAuth;
    ctx.insert("take_over", &take_over);
    // The `betterAuth({...})` options of the server taken over, when discovery read them.
    let taken = project
        .auth_server
        .as_ref()
        .filter(|_| take_over)
        .and_then(|server| server.better_auth.as_ref());
    ctx.insert("taken_over", &taken);
    // Better Auth's tables as that server names them (its defaults unless renamed).
    let tables: std::collections::BTreeMap<&str, String> =
        ["user", "account", "session", "verification", "jwks"]
            .into_iter()
            .map(|model| {
                let renamed = taken.and_then(|o| o.tables.get(model)).cloned();
                (model, renamed.unwrap_or_else(|| model.to_owned()))
            })
            .collect();
    ctx.insert("better_auth_tables", &tables);
    // Better Auth's own signing keys live in `jwks`: a server taking over keeps its apart.
    ctx.insert(
        "keys_table",
        if take_over { "signing_keys" } else { "jwks" },
    );
    // The email-link flows: required verification, magic links, and `mail` when either is on
    // (password reset comes with them; the server then sends mail).
    let verification = config.email_verification == EmailVerification::Required;
    let magic_link = config.methods.contains(&Method::MagicLink);
    ctx.insert("verification", &verification);
    ctx.insert("magic_link", &magic_link);
    ctx.insert("mail", &(verification || magic_link));
    let crate_name = crate_name(&config.auth_dir);
    ctx.insert("crate_ident", &crate_name.replace('-', "_"));
    ctx.insert("crate_name", &crate_name);
    ctx.insert(
        "axum_verifier",
        &backend
            .filter(|b| b.kind == BackendFramework::Axum)
            .map(|_| axum_verifier_dir(&config.auth_dir)),
    );
    ctx.insert(
        "fastapi",
        &backend
            .filter(|b| b.kind == BackendFramework::Fastapi)
            .map(|b| fastapi_view(b, &project.generated_files)),
    );

    let alembic_dir = backend
        .filter(|_| migrations.kind == MigrationKind::Alembic)
        .and(migrations.dir.as_deref());
    let alembic = match alembic_dir {
        Some(dir) => {
            let source = templates.require(SCHEMA_TEMPLATE)?;
            let schema_sql = render_str(source, &ctx, SCHEMA_TEMPLATE)?;
            if schema_sql.contains('\\') || schema_sql.contains("\"\"\"") {
                return Err(GenerateError::Template {
                    name: SCHEMA_TEMPLATE.into(),
                    message: "the schema must not contain backslashes or \"\"\" (it is embedded \
                              in a Python string for Alembic)"
                        .into(),
                });
            }
            Some(AlembicView {
                file: join_rel(dir, "authgen_0001_auth_tables.py"),
                revision: AUTHGEN_REVISION,
                down_revision: python_literal(&migrations.heads),
                schema_sql,
            })
        }
        None => None,
    };
    ctx.insert("alembic", &alembic);

    let env_file: EnvFile = data(templates, "data/env.toml")?;
    let mut env = Vec::new();
    for mut var in env_file.var {
        if condition(var.when.as_deref(), &ctx, "data/env.toml")? {
            var.example = render_str(&var.example, &ctx, "data/env.toml")?;
            var.purpose = render_str(&var.purpose, &ctx, "data/env.toml")?;
            env.push(var);
        }
    }
    ctx.insert("env", &env);

    let endpoint_file: EndpointFile = data(templates, "data/endpoints.toml")?;
    let mut endpoints = Vec::new();
    for mut endpoint in endpoint_file.endpoint {
        if condition(endpoint.when.as_deref(), &ctx, "data/endpoints.toml")? {
            endpoint.route = endpoint.path.clone();
            endpoint.path = format!("{}{}", config.base_path, endpoint.path);
            endpoints.push(endpoint);
        }
    }
    ctx.insert("endpoints", &endpoints);

    let diagnostics = crate::diagnostics::all().map_err(|e| GenerateError::Template {
        name: "diagnostics".into(),
        message: e.to_string(),
    })?;
    let checks: Vec<CheckView> = diagnostics
        .iter()
        .map(|d| CheckView {
            id: &d.meta.id,
            title: &d.meta.title,
            severity: &d.meta.severity,
            summary: &d.summary,
        })
        .collect();
    ctx.insert("checks", &checks);
    Ok(ctx)
}

/// The backend the verifier is generated for, if any.
pub fn chosen_backend<'p>(project: &'p Project, config: &AuthConfig) -> Option<&'p Backend> {
    match config.backend {
        BackendKind::None => None,
        _ => config
            .backend_dir
            .as_deref()
            .and_then(|dir| project.backend_in(dir)),
    }
}

fn data<T: for<'de> Deserialize<'de>>(
    templates: &Templates,
    name: &str,
) -> Result<T, GenerateError> {
    toml::from_str(templates.require(name)?).map_err(|e| GenerateError::Template {
        name: name.into(),
        message: e.to_string(),
    })
}

/// Evaluate a catalog/data condition; absent means true.
pub fn condition(when: Option<&str>, ctx: &Context, origin: &str) -> Result<bool, GenerateError> {
    let Some(expr) = when else { return Ok(true) };
    let rendered =
        render_str(&format!("{{% if {expr} %}}yes{{% endif %}}"), ctx, origin).map_err(|e| {
            GenerateError::Template {
                name: origin.into(),
                message: format!("condition `{expr}`: {e}"),
            }
        })?;
    Ok(rendered == "yes")
}

pub fn render_str(text: &str, ctx: &Context, origin: &str) -> Result<String, GenerateError> {
    Tera::one_off(text, ctx, false).map_err(|source| GenerateError::Render {
        name: origin.into(),
        source,
    })
}

/// A Cargo package name from the auth server's directory: `services/Auth Server` → `auth-server`.
fn crate_name(auth_dir: &str) -> String {
    let last = auth_dir.rsplit('/').next().unwrap_or(auth_dir);
    let mut name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').to_owned();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("auth-{name}").trim_end_matches('-').to_owned();
    }
    name
}
