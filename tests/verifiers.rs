//! The generated verifiers, against tokens the generated auth server really issues: the
//! FastAPI package's own pytest tests and ruff on every FastAPI fixture; then a fixture app
//! served by uvicorn behind the real server (EdDSA + JWKS after `alembic upgrade head`, and
//! HS256 with database session validation, where sign-out takes effect at once).
//!
//! Needs DATABASE_URL (scripts/test.sh provides PostgreSQL); the Python packages come from
//! the virtualenv scripts/python-env.sh builds under target/.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::e2e::*;
use common::*;
use serde_json::{Value, json};

fn venv_bin(name: &str) -> PathBuf {
    python().with_file_name(name)
}

fn init(repo: &Path, args: &[&str]) {
    let mut all = vec!["init", "--yes"];
    all.extend_from_slice(args);
    let run = run(&all, repo);
    assert_eq!(
        run.code, 0,
        "authgen init failed:\n{}\n{}",
        run.stdout, run.stderr
    );
}

/// (fixture, backend dir, init arguments that pick it where discovery alone cannot)
const FASTAPI_FIXTURES: &[(&str, &str, &[&str])] = &[
    ("fastapi-alembic", "backend", &[]),
    ("monorepo", "apps/api", &[]),
    ("speckit", "api", &[]),
    ("ambiguous", "backend", &["--backend-dir", "backend"]),
    (
        "ambiguous",
        "services/api",
        &["--backend-dir", "services/api"],
    ),
];

const CONFIGS: &[&[&str]] = &[
    &["--algorithm", "eddsa", "--session-validation", "jwt"],
    &["--algorithm", "hs256", "--session-validation", "database"],
];

#[test]
fn generated_python_verifier_passes_its_tests_and_ruff() {
    // Every FastAPI fixture in both configurations, and a take-over of a Better Auth server
    // (EdDSA only: its tokens verify through the JWKS) with either session validation.
    let mut runs: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for (fixture, backend, pick) in FASTAPI_FIXTURES {
        for config in CONFIGS {
            runs.push((fixture, backend, [*pick, config].concat()));
        }
    }
    for validation in ["jwt", "database"] {
        runs.push((
            "better-auth-express",
            "api",
            vec!["--session-validation", validation],
        ));
    }
    for (fixture, backend, args) in runs {
        let (_tmp, repo) = copy_fixture(fixture);
        init(&repo, &args);
        let dir = repo.join(backend);
        let files = generated_python(&repo, backend);
        assert!(
            files.len() >= 6,
            "{fixture}: generated Python files: {files:?}"
        );
        let what = format!("{fixture} {backend} {args:?}");
        // The project's own ruff configuration, then a wider rule set on our files alone;
        // from the backend and from the repository root, where first-party packages and
        // configuration files are found differently.
        let from_root: Vec<String> = files.iter().map(|f| format!("{backend}/{f}")).collect();
        for (args, name) in [
            (&["check", "--quiet"][..], "ruff check (project config)"),
            (
                &[
                    "check",
                    "--quiet",
                    "--isolated",
                    "--select",
                    "E,F,W,I,N,B,UP,SIM,RUF,S",
                    "--ignore",
                    "S101,S608",
                ][..],
                "ruff check (wide rule set)",
            ),
            (
                &["format", "--check", "--quiet", "--isolated"][..],
                "ruff format",
            ),
        ] {
            for (cwd, paths, place) in [(&dir, &files, "backend"), (&repo, &from_root, "root")] {
                stdout_of(
                    Command::new(venv_bin("ruff"))
                        .args(args)
                        .args(paths)
                        .current_dir(cwd)
                        .output()
                        .unwrap(),
                    &format!("{name} from the {place} {what}"),
                );
            }
        }
        let tests = files.iter().find(|f| f.ends_with("test_auth.py")).unwrap();
        let out = stdout_of(
            Command::new(python())
                .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", tests])
                .current_dir(&dir)
                .output()
                .unwrap(),
            &format!("pytest {what}"),
        );
        assert!(out.contains(" passed"), "{what}: {out}");
        assert!(!out.contains("skipped"), "{what}: {out}");
    }
}

/// The Python files authgen wrote into the backend (from its manifest), relative to it.
fn generated_python(repo: &Path, backend: &str) -> Vec<String> {
    let manifest: toml::Table = read(&repo.join(".authgen/manifest.toml")).parse().unwrap();
    manifest["file"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["path"].as_str())
        .filter(|path| path.ends_with(".py"))
        .filter_map(|path| path.strip_prefix(&format!("{backend}/")))
        .map(str::to_owned)
        .collect()
}

/// Build the generated auth server and copy the binary out, so the next build cannot
/// replace it under a running process.
fn build_server(repo: &Path, database_url: &str, name: &str) -> PathBuf {
    let binary = repo.join(name);
    build_binary(&repo.join("auth-server"), database_url, &binary);
    binary
}

/// `postgres://…` as SQLAlchemy with psycopg 3 wants it.
fn sqlalchemy_url(url: &str) -> String {
    format!("postgresql+psycopg://{}", url.split_once("://").unwrap().1)
}

/// A FastAPI app served by uvicorn, killed when dropped.
struct Api {
    _process: Process,
    base: String,
}

/// The lines SETUP.md tells users to add, in a module beside the fixture's app.
fn start_api(dir: &Path, package: &str, pythonpath: &str, env: &[(&str, String)]) -> Api {
    std::fs::write(
        dir.join("e2e_app.py"),
        format!(
            "from fastapi import Depends\n\n\
             from {package}.auth import CurrentUser, require_roles\n\
             from {package}.main import app\n\n\n\
             @app.get(\"/whoami\")\n\
             def whoami(user: CurrentUser) -> dict[str, str]:\n    \
             return {{\"id\": user.id, \"email\": user.email}}\n\n\n\
             @app.get(\"/admin\", dependencies=[Depends(require_roles(\"admin\"))])\n\
             def admin() -> dict[str, bool]:\n    return {{\"ok\": True}}\n\n\n\
             @app.post(\"/notes\")\n\
             def create_note(user: CurrentUser) -> dict[str, str]:\n    \
             return {{\"owner\": user.id}}\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let mut command = Command::new(python());
    command
        .args(["-m", "uvicorn", "e2e_app:app", "--port", &port.to_string()])
        .current_dir(dir)
        .env("PYTHONPATH", pythonpath);
    for (key, value) in env {
        command.env(key, value);
    }
    let base = format!("http://127.0.0.1:{port}");
    let (process, _log) = spawn_until_healthy(command, &format!("{base}/health"));
    Api {
        _process: process,
        base,
    }
}

/// GET with a bearer token: status, JSON body and the WWW-Authenticate header.
fn call(url: &str, token: Option<&str>) -> (u16, Value, Option<String>) {
    let mut request = ureq::get(url);
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => {
            let challenge = response.header("www-authenticate").map(str::to_owned);
            (
                response.status(),
                response.into_json().unwrap_or(Value::Null),
                challenge,
            )
        }
        Err(err) => panic!("{url}: {err}"),
    }
}

fn sign_up(auth: &str, email: &str) -> (String, String) {
    let (status, body) = post(
        &format!("{auth}/signup"),
        json!({"email": email, "password": "correct horse battery", "name": "Ada"}),
    );
    assert_eq!(status, 201, "{body}");
    (
        body["user_id"].as_str().unwrap().to_owned(),
        body["access_token"].as_str().unwrap().to_owned(),
    )
}

fn issuer_of(server: &Running) -> String {
    let port = server
        .base
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    format!("http://localhost:{port}")
}

/// Flip one character in the payload, keeping it valid base64url.
fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = &mut parts[1];
    let last = payload.pop().unwrap();
    payload.push(if last == 'A' { 'B' } else { 'A' });
    parts.join(".")
}

#[test]
fn fastapi_backend_accepts_the_servers_tokens_and_nothing_else() {
    // EdDSA, JWT validation, on the Alembic fixture: the schema comes from Alembic first.
    let (_tmp, repo) = copy_fixture("fastapi-alembic");
    init(
        &repo,
        &["--algorithm", "eddsa", "--session-validation", "jwt"],
    );
    let database = create_database("authgen_verify_eddsa");
    let backend = repo.join("backend");
    stdout_of(
        Command::new(python())
            .args(["-m", "alembic", "upgrade", "head"])
            .current_dir(&backend)
            .env("DATABASE_URL", sqlalchemy_url(&database))
            .output()
            .unwrap(),
        "alembic upgrade head",
    );
    let binary = build_server(&repo, &database, "auth-server-eddsa");
    let secret = random_secret();
    let server = start(
        &binary,
        &[
            ("DATABASE_URL", database.clone()),
            ("AUTH_SECRET", secret.clone()),
            ("AUTH_AUDIENCE", "e2e-api".into()),
            ("CORS_ORIGINS", "http://localhost:3000".into()),
        ],
    );
    // The server found its first migration already applied by Alembic (same checksum) and
    // applied only the later ones.
    let migrations = Command::new("psql")
        .arg(&database)
        .args([
            "-tAc",
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM auth_schema_migrations",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&migrations.stdout).trim(), "1,4");
    let (user_id, token) = sign_up(&server.base, "ada@example.com");
    let (status, body) = post(
        &format!("{}/signin", server.base),
        json!({"email": "ada@example.com", "password": "correct horse battery"}),
    );
    assert_eq!(status, 200, "{body}");

    let api = start_api(
        &backend,
        "app",
        ".",
        &[
            ("AUTH_ISSUER", issuer_of(&server)),
            ("AUTH_AUDIENCE", "e2e-api".into()),
            ("AUTH_JWKS_URL", format!("{}/jwks", server.base)),
            ("DATABASE_URL", sqlalchemy_url(&database)),
        ],
    );
    let whoami = format!("{}/whoami", api.base);
    let (status, body, _) = call(&whoami, Some(&token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], user_id.as_str());
    for bad in [tamper(&token), "not-a-token".to_owned()] {
        let (status, body, challenge) = call(&whoami, Some(&bad));
        assert_eq!(status, 401, "{body}");
        assert!(challenge.unwrap().starts_with("Bearer"));
    }
    let (status, _, challenge) = call(&whoami, None);
    assert_eq!((status, challenge.as_deref()), (401, Some("Bearer")));
    let (status, body, _) = call(&format!("{}/admin", api.base), Some(&token));
    assert_eq!(status, 403, "{body}");
    drop(api);
    drop(server);

    // HS256 with database session validation, on the monorepo's SQLModel engine.
    let (_tmp, repo) = copy_fixture("monorepo");
    init(
        &repo,
        &["--algorithm", "hs256", "--session-validation", "database"],
    );
    let database = create_database("authgen_verify_hs256");
    let binary = build_server(&repo, &database, "auth-server-hs256");
    let server = start(
        &binary,
        &[
            ("DATABASE_URL", database.clone()),
            ("AUTH_SECRET", secret.clone()),
            ("AUTH_AUDIENCE", "e2e-api".into()),
            ("CORS_ORIGINS", "http://localhost:3000".into()),
        ],
    );
    let (user_id, token) = sign_up(&server.base, "grace@example.com");
    // The backend holds the derived HS256 key, never AUTH_SECRET itself.
    let key = stdout_of(
        Command::new(&binary)
            .arg("verifier-key")
            .env_clear()
            .env("DATABASE_URL", &database)
            .env("AUTH_SECRET", &secret)
            .output()
            .unwrap(),
        "verifier-key",
    );
    let key = key.trim().to_owned();
    assert_eq!(
        key,
        authgen::secret::hs256_verifier_key(&secret),
        "authgen secret --write derives the key the server signs with"
    );
    let api = start_api(
        &repo.join("apps/api"),
        "api",
        "src",
        &[
            ("AUTH_ISSUER", issuer_of(&server)),
            ("AUTH_AUDIENCE", "e2e-api".into()),
            ("AUTH_JWT_KEY", key.clone()),
            ("AUTH_TRUSTED_ORIGINS", "http://localhost:3000".into()),
            ("DATABASE_URL", sqlalchemy_url(&database)),
        ],
    );
    let whoami = format!("{}/whoami", api.base);
    let (status, body, _) = call(&whoami, Some(&token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], user_id.as_str());
    let (status, body, _) = call(&format!("{}/admin", api.base), Some(&token));
    assert_eq!(status, 403, "{body}");

    // Correctly signed with the server's key, but expired an hour ago, not valid for another
    // hour, or not an access token (no `typ: at+jwt`).
    let mint = |exp: i64, nbf: i64, typ: &str| {
        stdout_of(
            Command::new(python())
                .arg("-c")
                .arg(
                    "import jwt, sys, time, uuid\n\
                     now = int(time.time())\n\
                     print(jwt.encode({'sub': str(uuid.uuid4()), 'sid': str(uuid.uuid4()),\n\
                     'jti': str(uuid.uuid4()), 'iat': now - 60, 'exp': now + int(sys.argv[3]),\n\
                     'nbf': now + int(sys.argv[4]), 'iss': sys.argv[1], 'aud': 'e2e-api'},\n\
                     sys.argv[2], algorithm='HS256', headers={'typ': sys.argv[5]}))",
                )
                .args([issuer_of(&server), key.clone()])
                .args([exp.to_string(), nbf.to_string(), typ.to_owned()])
                .output()
                .unwrap(),
            "minting a token",
        )
        .trim()
        .to_owned()
    };
    let (status, body, _) = call(&whoami, Some(&mint(-3600, -7200, "at+jwt")));
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"]["code"], "TOKEN_EXPIRED");
    for (name, token) in [
        ("nbf in an hour", mint(7200, 3600, "at+jwt")),
        ("typ JWT", mint(600, -60, "JWT")),
    ] {
        let (status, body, _) = call(&whoami, Some(&token));
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["detail"]["code"], "INVALID_TOKEN", "{name}");
    }

    // CSRF: a cookie-authenticated POST counts only from a trusted origin; Bearer needs none.
    let notes = format!("{}/notes", api.base);
    let cookie = format!("auth_access_token={token}");
    for (origin, expected) in [
        (None, (403, "MISSING_OR_NULL_ORIGIN")),
        (Some("https://evil.example"), (403, "INVALID_ORIGIN")),
    ] {
        let mut request = ureq::post(&notes).set("Cookie", &cookie);
        if let Some(origin) = origin {
            request = request.set("Origin", origin);
        }
        let (status, body) = answer(&notes, request.call());
        assert_eq!(
            (status, body["detail"]["code"].as_str()),
            (expected.0, Some(expected.1)),
            "{origin:?}: {body}"
        );
    }
    let trusted = ureq::post(&notes)
        .set("Cookie", &cookie)
        .set("Origin", "http://localhost:3000")
        .call();
    assert_eq!(answer(&notes, trusted).0, 200);
    let bearer = ureq::post(&notes)
        .set("Authorization", &format!("Bearer {token}"))
        .call();
    let (status, body) = answer(&notes, bearer);
    assert_eq!(
        (status, body["owner"].as_str()),
        (200, Some(user_id.as_str()))
    );

    // Sign-out is immediate: the same, unexpired access token is refused on the next call.
    let signout = ureq::post(&format!("{}/signout", server.base))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(signout.status(), 204);
    let (status, body, _) = call(&whoami, Some(&token));
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"]["code"], "SESSION_REVOKED");

    // The monorepo's frontend uses the better-auth client, so the server has Better Auth's
    // API too: its `/token` JWT is accepted by the backend, and signing out through it ends
    // the session there at once.
    let browser = Browser::new(Some("http://localhost:3000"));
    let up = browser.post(
        &format!("{}/sign-up/email", server.base),
        json!({ "email": "ada-better-auth@example.com", "password": "correct horse battery", "name": "Ada" }),
    );
    assert_eq!(up.status, 200, "{}", up.text);
    let jwt = browser.get(&format!("{}/token", server.base)).json()["token"]
        .as_str()
        .expect("/token answers a JWT")
        .to_owned();
    let (status, body, _) = call(&whoami, Some(&jwt));
    assert_eq!(status, 200, "the backend takes Better Auth's JWT: {body}");
    assert_eq!(body["id"], up.json()["user"]["id"]);
    let out = browser.post(&format!("{}/sign-out", server.base), json!({}));
    assert_eq!(out.status, 200, "{}", out.text);
    let (status, body, _) = call(&whoami, Some(&jwt));
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"]["code"], "SESSION_REVOKED");
}

/// GET with a bearer token: status and body text.
fn text(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = ureq::get(url);
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => (
            response.status(),
            response.into_string().unwrap_or_default(),
        ),
        Err(err) => panic!("{url}: {err}"),
    }
}

#[test]
fn axum_backend_accepts_the_servers_tokens_and_nothing_else() {
    let (_tmp, repo) = copy_fixture("axum-workspace");
    init(
        &repo,
        &["--algorithm", "eddsa", "--session-validation", "jwt"],
    );
    // What SETUP.md tells users to write: the extractor in a handler's arguments.
    let routes = repo.join("crates/api/src/routes.rs");
    let source = std::fs::read_to_string(&routes).unwrap().replacen(
        "        .with_state(pool)",
        "        .route(\"/whoami\", get(whoami))\n        .route(\"/admin\", get(admin))\n        .route(\"/e2e/notes\", axum::routing::post(e2e_note))\n        .with_state(pool)",
        1,
    ) + "\nasync fn whoami(user: auth_verifier::AuthUser) -> String {\n    user.id.to_string()\n}\n\n\
         async fn admin(\n    auth_verifier::RequireRole(user, _): auth_verifier::RequireRole<auth_verifier::Admin>,\n) -> String {\n    user.email\n}\n\n\
         async fn e2e_note(user: auth_verifier::AuthUser) -> String {\n    user.id.to_string()\n}\n";
    std::fs::write(&routes, source).unwrap();

    let database = create_database("authgen_verify_axum");
    let auth_binary = repo.join("auth-server-axum");
    let api_binary = repo.join("notes-api-bin");
    build_and_copy(
        &repo,
        &["build", "--quiet", "-p", "auth-server", "-p", "notes-api"],
        &database,
        &[("auth-server", &auth_binary), ("notes-api", &api_binary)],
    );

    let server = start(
        &auth_binary,
        &[
            ("DATABASE_URL", database.clone()),
            ("AUTH_SECRET", random_secret()),
            ("AUTH_AUDIENCE", "e2e-api".into()),
            ("CORS_ORIGINS", "http://localhost:3000".into()),
        ],
    );
    let (user_id, token) = sign_up(&server.base, "linus@example.com");

    let port = free_port();
    let mut command = Command::new(&api_binary);
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &database)
        .env("AUTH_ISSUER", issuer_of(&server))
        .env("AUTH_AUDIENCE", "e2e-api")
        .env("AUTH_TRUSTED_ORIGINS", "http://localhost:3000")
        .env("AUTH_JWKS_URL", format!("{}/jwks", server.base));
    let base = format!("http://127.0.0.1:{port}");
    let (_api, _log) = spawn_until_healthy(command, &format!("{base}/health"));

    assert_eq!(
        text(&format!("{base}/whoami"), Some(&token)),
        (200, user_id.clone())
    );
    for bad in [tamper(&token), "not-a-token".to_owned()] {
        let (status, body) = text(&format!("{base}/whoami"), Some(&bad));
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("INVALID_TOKEN"), "{body}");
    }
    assert_eq!(text(&format!("{base}/whoami"), None).0, 401);
    let (status, body) = text(&format!("{base}/admin"), Some(&token));
    assert_eq!(status, 403, "{body}");

    // CSRF: a cookie-authenticated POST counts only from a trusted origin; Bearer needs none.
    let notes = format!("{base}/e2e/notes");
    let cookie = format!("auth_access_token={token}");
    for (origin, code) in [
        (None, "MISSING_OR_NULL_ORIGIN"),
        (Some("https://evil.example"), "INVALID_ORIGIN"),
    ] {
        let mut request = ureq::post(&notes).set("Cookie", &cookie);
        if let Some(origin) = origin {
            request = request.set("Origin", origin);
        }
        let (status, body) = answer(&notes, request.call());
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some(code)),
            "{origin:?}"
        );
    }
    let trusted = ureq::post(&notes)
        .set("Cookie", &cookie)
        .set("Origin", "http://localhost:3000")
        .call()
        .unwrap();
    assert_eq!(trusted.status(), 200);
    let bearer = ureq::post(&notes)
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(bearer.into_string().unwrap(), user_id);

    // nbf: a key of our own, published by a stand-in JWKS endpoint, signs a token that is
    // valid except that it is not valid yet; the same token without `nbf` passes.
    let jwks_dir = tempfile::tempdir().unwrap();
    let minted = stdout_of(
        Command::new(python())
            .arg("-c")
            .arg(
                "import base64, json, sys, time, uuid, jwt\n\
                 from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey\n\
                 from cryptography.hazmat.primitives import serialization\n\
                 key = Ed25519PrivateKey.generate()\n\
                 raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)\n\
                 x = base64.urlsafe_b64encode(raw).rstrip(b'=').decode()\n\
                 jwk = {'kty': 'OKP', 'crv': 'Ed25519', 'x': x, 'kid': 'stand-in', 'alg': 'EdDSA', 'use': 'sig'}\n\
                 open(sys.argv[2] + '/jwks', 'w').write(json.dumps({'keys': [jwk]}))\n\
                 now = int(time.time())\n\
                 claims = {'sub': str(uuid.uuid4()), 'sid': str(uuid.uuid4()), 'jti': str(uuid.uuid4()),\n\
                 'iat': now, 'exp': now + 600, 'iss': sys.argv[1], 'aud': 'e2e-api'}\n\
                 head = {'kid': 'stand-in', 'typ': 'at+jwt'}\n\
                 print(jwt.encode(claims, key, algorithm='EdDSA', headers=head))\n\
                 print(jwt.encode(claims | {'nbf': now + 3600}, key, algorithm='EdDSA', headers=head))",
            )
            .arg(issuer_of(&server))
            .arg(jwks_dir.path())
            .output()
            .unwrap(),
        "minting with a stand-in key",
    );
    let (control, early) = minted.trim().split_once('\n').unwrap();
    let jwks_port = free_port();
    let mut stand_in = Command::new(python());
    stand_in
        .args([
            "-m",
            "http.server",
            &jwks_port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--directory")
        .arg(jwks_dir.path());
    let (_jwks, _) = spawn_until_healthy(stand_in, &format!("http://127.0.0.1:{jwks_port}/jwks"));
    let port = free_port();
    let mut command = Command::new(&api_binary);
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &database)
        .env("AUTH_ISSUER", issuer_of(&server))
        .env("AUTH_AUDIENCE", "e2e-api")
        .env(
            "AUTH_JWKS_URL",
            format!("http://127.0.0.1:{jwks_port}/jwks"),
        );
    let other = format!("http://127.0.0.1:{port}");
    let (_api, _log) = spawn_until_healthy(command, &format!("{other}/health"));
    assert_eq!(text(&format!("{other}/whoami"), Some(control)).0, 200);
    let (status, body) = text(&format!("{other}/whoami"), Some(early));
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("INVALID_TOKEN"), "{body}");
}
