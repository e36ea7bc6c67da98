//! The generated auth server, for real: rendered in two configurations, held to rustfmt,
//! clippy -D warnings and its own HTTP tests against PostgreSQL, then started as a process and
//! exercised over HTTP.
//!
//! Needs DATABASE_URL pointing at a PostgreSQL server where databases can be created;
//! `scripts/test.sh` (through scripts/with-postgres.sh) provides one.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::e2e::*;
use common::*;
use serde_json::{Value, json};

/// Generate, check, test, then run one configuration.
fn exercise(
    fixture: &str,
    flags: &[&str],
    database: &str,
    eddsa: bool,
    redis: Option<&str>,
) -> Vec<(&'static str, String)> {
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
    crate_tests(&crate_dir, database);

    let binary = target_dir().join("debug/auth-server");
    let secret = random_secret();
    let mut env = vec![
        ("DATABASE_URL", url.clone()),
        ("AUTH_SECRET", secret.clone()),
        ("AUTH_ISSUER", "http://auth.e2e".to_owned()),
        ("AUTH_AUDIENCE", "e2e-api".to_owned()),
        ("CORS_ORIGINS", "http://app.e2e".to_owned()),
    ];
    if let Some(redis) = redis {
        env.push(("REDIS_URL", redis.to_owned()));
    }
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

    // The fuzzer on a server of its own, its rate limits in memory: what it spends of them
    // dies with the process instead of starving the steps that follow.
    let in_memory: Vec<_> = env
        .iter()
        .filter(|(k, _)| *k != "REDIS_URL")
        .cloned()
        .collect();
    fuzz_openapi(&start(&binary, &in_memory), &url);

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
    env
}

struct Redis {
    _process: Process,
    url: String,
}

fn start_redis() -> Redis {
    let port = free_port();
    let process = Process(
        Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Redis {
        _process: process,
        url: format!("redis://127.0.0.1:{port}"),
    }
}

fn sign_up(base: &str, email: &str) -> Value {
    let (status, body) = post(
        &format!("{base}/signup"),
        json!({ "email": email, "password": "correct horse battery", "name": "Replica" }),
    );
    assert_eq!(status, 201, "{body}");
    body
}

/// Two processes on one PostgreSQL and one Redis behave as one server.
fn two_replicas(binary: &Path, env: &[(&str, String)]) {
    let a = start(binary, env);
    let b = start(binary, env);
    let t0 = sign_up(
        &a.base,
        &format!("replica-{}@example.com", std::process::id()),
    )["refresh_token"]
        .clone();
    let (status, r1) = post(
        &format!("{}/refresh", a.base),
        json!({ "refresh_token": t0 }),
    );
    assert_eq!(status, 200, "{r1}");
    let (status, r2) = post(
        &format!("{}/refresh", a.base),
        json!({ "refresh_token": r1["refresh_token"] }),
    );
    assert_eq!(status, 200, "{r2}");
    let (status, reused) = post(
        &format!("{}/refresh", b.base),
        json!({ "refresh_token": t0 }),
    );
    assert_eq!(
        (status, reused["code"].clone()),
        (401, json!("REFRESH_TOKEN_REUSED"))
    );
    let (status, _) = post(
        &format!("{}/refresh", b.base),
        json!({ "refresh_token": r2["refresh_token"] }),
    );
    assert_eq!(status, 401, "the family is revoked for every replica");

    // Signing out on one replica is refused on the other at the very next request.
    let signed_up = sign_up(
        &a.base,
        &format!("signout-{}@example.com", std::process::id()),
    );
    let access = signed_up["access_token"].as_str().unwrap();
    let (status, me) = get(&format!("{}/me", b.base), Some(access));
    assert_eq!(status, 200, "{me}");
    let out = ureq::post(&format!("{}/signout", a.base))
        .set("Authorization", &format!("Bearer {access}"))
        .send_json(json!({ "refresh_token": signed_up["refresh_token"] }));
    assert_eq!(answer("/signout", out).0, 204);
    let (status, me) = get(&format!("{}/me", b.base), Some(access));
    assert_eq!(status, 401, "signed out on A, still accepted on B: {me}");
    let (status, _) = post(
        &format!("{}/refresh", b.base),
        json!({ "refresh_token": signed_up["refresh_token"] }),
    );
    assert_eq!(status, 401, "the refresh token ended with the sign-out");

    let email = format!("limited-{}@example.com", std::process::id());
    sign_up(&b.base, &email);
    let wrong = json!({ "email": email, "password": "wrong password" });
    for (attempt, server) in [&a, &b, &a, &b, &a].iter().enumerate() {
        let (status, _) = post(&format!("{}/signin", server.base), wrong.clone());
        assert_eq!(status, 401, "attempt {}", attempt + 1);
    }
    let (status, body) = post(&format!("{}/signin", b.base), wrong);
    assert_eq!(status, 429, "the limit counts across replicas: {body}");
}

fn pg_ctl(args: &[&str]) {
    let ctl =
        std::env::var("TEST_PG_CTL").expect("TEST_PG_CTL comes from scripts/with-postgres.sh");
    let data = std::env::var("TEST_PG_DATA").unwrap();
    let mut command = if std::env::var_os("TEST_PG_AS_POSTGRES").is_some() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ])
        .arg(ctl);
        c
    } else {
        Command::new(ctl)
    };
    let status = command
        .args(["-D", &data])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl {args:?}");
}

/// The database goes away and comes back: 503 meanwhile, no restart needed.
fn database_outage(binary: &Path, env: &[(&str, String)]) {
    let server = start(binary, env);
    let created = sign_up(
        &server.base,
        &format!("outage-{}@example.com", std::process::id()),
    );
    let token = created["access_token"].as_str().unwrap().to_owned();
    pg_ctl(&["stop", "-m", "fast", "-w"]);
    let (ready, _) = get(&format!("{}/ready", server.base), None);
    let (me, body) = get(&format!("{}/me", server.base), Some(&token));
    let (health, _) = get(&format!("{}/health", server.base), None);
    let options = std::env::var("TEST_PG_OPTIONS").unwrap();
    pg_ctl(&["start", "-w", "-l", "/dev/null", "-o", &options]);
    assert_eq!(ready, 503);
    assert_eq!(
        (me, body["code"].clone()),
        (503, json!("SERVICE_UNAVAILABLE"))
    );
    assert_eq!(health, 200, "the process itself stays up");
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(&format!("{}/ready", server.base), None).0 != 200 {
        assert!(
            Instant::now() < deadline,
            "no recovery after the database came back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(get(&format!("{}/me", server.base), Some(&token)).0, 200);
}

#[test]
fn generated_servers_build_lint_test_and_serve() {
    exercise("fastapi-alembic", &[], "authgen_e2e_eddsa", true, None);
    let redis = start_redis();
    let env = exercise(
        "empty",
        &["--algorithm", "hs256", "--session-validation", "database"],
        "authgen_e2e_hs256",
        false,
        Some(&redis.url),
    );
    let binary = target_dir().join("debug/auth-server");
    two_replicas(&binary, &env);
    redis_outage(&binary, &env, redis);
    database_outage(&binary, &env);
}

/// Redis goes away under a running server: sign-in keeps working, limited per process.
fn redis_outage(binary: &Path, env: &[(&str, String)], redis: Redis) {
    let server = start(binary, env);
    let email = format!("no-redis-{}@example.com", std::process::id());
    sign_up(&server.base, &email);
    drop(redis);
    let (status, body) = post(
        &format!("{}/signin", server.base),
        json!({ "email": email, "password": "correct horse battery" }),
    );
    assert_eq!(status, 200, "sign-in survives a Redis outage: {body}");
    let wrong = json!({ "email": email, "password": "wrong password" });
    let statuses: Vec<u16> = (0..5)
        .map(|_| post(&format!("{}/signin", server.base), wrong.clone()).0)
        .collect();
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 429],
        "the in-process limiter takes over"
    );
}
