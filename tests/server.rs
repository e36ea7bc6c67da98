//! The generated auth server, for real: rendered in two configurations, held to rustfmt,
//! clippy -D warnings and its own HTTP tests against PostgreSQL, then started as a process and
//! exercised over HTTP.
//!
//! Needs DATABASE_URL pointing at a PostgreSQL server where databases can be created;
//! `scripts/test.sh` (through scripts/with-postgres.sh) provides one.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// One target directory for every generated build, so dependencies compile once.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/generated")
}

fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL is not set: run the suite with scripts/test.sh, which starts PostgreSQL",
    )
}

/// A fresh database on the test server, for one configuration.
fn create_database(name: &str) -> String {
    let admin = database_url();
    // One psql call per statement: CREATE DATABASE cannot share a transaction.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let status = Command::new("psql")
            .arg(&admin)
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", &sql])
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .status()
            .expect("psql is installed");
        assert!(status.success(), "{sql} failed");
    }
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

fn cargo(dir: &Path, args: &[&str], database_url: &str) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("DATABASE_URL", database_url)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo {args:?} in {} failed:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A random 32-byte hex secret for one test run.
fn random_secret() -> String {
    let mut buf = [0u8; 32];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut buf)
        .unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

struct Running {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(binary: &Path, env: &[(&str, String)]) -> Running {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("authgen-e2e-{port}.log"));
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().unwrap();
    let running = Running {
        child,
        base: format!("http://127.0.0.1:{port}/api/auth"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ureq::get(&format!("{}/health", running.base)).call() {
            Ok(_) => return running,
            Err(err) => assert!(
                Instant::now() < deadline,
                "the server did not come up on port {port} ({err}):\n{}",
                std::fs::read_to_string(&running.log).unwrap_or_default()
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn post(url: &str, body: Value) -> (u16, Value) {
    match ureq::post(url).send_json(body) {
        Ok(response) => (
            response.status(),
            response.into_json().unwrap_or(Value::Null),
        ),
        Err(ureq::Error::Status(code, response)) => {
            (code, response.into_json().unwrap_or(Value::Null))
        }
        Err(err) => panic!("{url}: {err}"),
    }
}

fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = ureq::get(url);
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    match request.call() {
        Ok(response) => (
            response.status(),
            response.into_json().unwrap_or(Value::Null),
        ),
        Err(ureq::Error::Status(code, response)) => {
            (code, response.into_json().unwrap_or(Value::Null))
        }
        Err(err) => panic!("{url}: {err}"),
    }
}

/// Generate, check, test, then run one configuration.
fn exercise(fixture: &str, flags: &[&str], database: &str, eddsa: bool) {
    let (_tmp, repo) = copy_fixture(fixture);
    let mut args = vec!["init", "--yes"];
    args.extend_from_slice(flags);
    let init = run(&args, &repo);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let crate_dir = repo.join("auth-server");
    let url = create_database(database);

    cargo(&crate_dir, &["fmt", "--check"], &url);
    cargo(
        &crate_dir,
        &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
        &url,
    );
    cargo(&crate_dir, &["test", "--quiet"], &url);

    let binary = target_dir().join("debug/auth-server");
    let secret = random_secret();
    let env = [
        ("DATABASE_URL", url.clone()),
        ("AUTH_SECRET", secret.clone()),
        ("AUTH_ISSUER", "http://auth.e2e".to_owned()),
        ("AUTH_AUDIENCE", "e2e-api".to_owned()),
        ("CORS_ORIGINS", "http://app.e2e".to_owned()),
    ];
    let server = start(&binary, &env);
    let email = format!("e2e-{}@example.com", std::process::id());
    let (status, created) = post(
        &format!("{}/signup", server.base),
        json!({ "email": email, "password": "correct horse battery", "name": "E2E" }),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["user"]["profile_complete"], false);
    let (status, signed_in) = post(
        &format!("{}/signin", server.base),
        json!({ "email": email, "password": "correct horse battery" }),
    );
    assert_eq!(status, 200, "{signed_in}");
    let token = signed_in["access_token"].as_str().unwrap();
    let (status, me) = get(&format!("{}/me", server.base), Some(token));
    assert_eq!(status, 200);
    assert_eq!(me["email"], email.as_str());
    let (status, ready) = get(&format!("{}/ready", server.base), None);
    assert_eq!((status, ready["database"].clone()), (200, json!(true)));
    let (status, jwks) = get(&format!("{}/jwks", server.base), None);
    if eddsa {
        assert_eq!(status, 200);
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    } else {
        assert_eq!(status, 404, "no JWKS with HS256");
    }
    drop(server);

    // A restart reuses the stored signing key: the token issued before still verifies.
    let server = start(&binary, &env);
    let (status, _) = get(&format!("{}/me", server.base), Some(token));
    assert_eq!(status, 200, "tokens survive a restart");
    drop(server);

    // Startup validation: one clear line per problem, exit 2, nothing served.
    let output = Command::new(&binary)
        .env_clear()
        .env("AUTH_SECRET", "changeme")
        .env("APP_ENV", "production")
        .env("COOKIE_SECURE", "false")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in [
        "DATABASE_URL is not set",
        "AUTH_SECRET is 8 bytes",
        "COOKIE_SECURE=false",
    ] {
        assert!(stderr.contains(line), "{line:?} not in:\n{stderr}");
    }
    assert!(!stderr.contains("changeme"), "the secret is never echoed");
}

#[test]
fn generated_servers_build_lint_test_and_serve() {
    exercise("fastapi-alembic", &[], "authgen_e2e_eddsa", true);
    exercise(
        "empty",
        &["--algorithm", "hs256", "--session-validation", "database"],
        "authgen_e2e_hs256",
        false,
    );
}
