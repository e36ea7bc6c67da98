//! The Better Auth compatibility harness (tests/better_auth_compat/): the official
//! `better-auth` client, driven by Node's test runner, against a real Better Auth 1.7.25
//! server in each configuration the scenarios use, with an SMTP sink every server sends its
//! mail to. This driver installs the pinned npm packages when they are stale, creates one
//! database per server on the suite's PostgreSQL, starts the sink and the servers, and runs
//! `node --test` with the targets in the environment.
//!
//! Each scenario asserts its intended outcome on every target, then compares their normalised
//! observations with each other and the reference's with the committed golden copy in
//! tests/better_auth_compat/reference-observations/ (`COMPAT_UPDATE_GOLDEN=1` rewrites it).
//! Observations are also written to target/better-auth-compat/<target>/<config>/ for diffing.
//!
//! Needs DATABASE_URL pointing at a PostgreSQL server where databases can be created
//! (scripts/with-postgres.sh), and node + npm.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::better_auth::*;
use common::e2e::*;
use serde_json::{Map, Value, json};

/// The frontend origin every server trusts and every browser of the harness sends.
const APP_ORIGIN: &str = "http://app.compat.test";
/// The server configurations the scenarios name (see reference/server.mjs).
const CONFIGS: &[&str] = &["basic", "full"];

fn out_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("better-auth-compat")
}

struct Sink {
    _process: Process,
    dir: tempfile::TempDir,
    port: u16,
}

fn start_sink() -> Sink {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let process = Process(
        node(&["sink/smtp-sink.mjs", &port.to_string()])
            .arg(dir.path())
            .spawn()
            .expect("node is installed"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the SMTP sink did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sink {
        _process: process,
        dir,
        port,
    }
}

/// What every target is started with.
struct Environment {
    smtp_port: u16,
    /// The fake OAuth provider every target authorizes against; the scenarios never let a
    /// browser reach it, so nothing listens there.
    provider_base: String,
    secret: String,
}

/// A server under test in each configuration, as the scenarios see it (COMPAT_TARGETS).
struct Target {
    name: &'static str,
    kind: &'static str,
    secret: String,
    /// config → (base URL, database URL)
    configs: Vec<(&'static str, String, String)>,
    _processes: Vec<Process>,
    /// The generated server's processes, one per configuration (with their logs).
    servers: Vec<Running>,
    /// Files the processes run from, removed with the target.
    _files: Option<tempfile::TempDir>,
}

impl Target {
    fn json(&self) -> Value {
        let configs: Map<String, Value> = self
            .configs
            .iter()
            .map(|(config, base, db)| {
                (
                    config.to_string(),
                    json!({ "baseURL": base, "databaseUrl": db }),
                )
            })
            .collect();
        json!({
            "name": self.name,
            "kind": self.kind,
            "secret": self.secret,
            "configs": configs,
        })
    }
}

/// Better Auth 1.7.25 itself (reference/server.mjs), one process per configuration.
fn reference_target(env: &Environment) -> Target {
    let mut configs = Vec::new();
    let mut processes = Vec::new();
    for &config in CONFIGS {
        let database = create_database(&format!("compat_reference_{config}"));
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let mut command = node(&["reference/server.mjs"]);
        command
            .env("COMPAT_CONFIG", config)
            .env("PORT", port.to_string())
            .env("DATABASE_URL", &database)
            .env("BETTER_AUTH_SECRET", &env.secret)
            .env("BETTER_AUTH_URL", &origin)
            .env("TRUSTED_ORIGINS", APP_ORIGIN)
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", env.smtp_port))
            .env("EMAIL_FROM", "Compat <auth@compat.test>")
            .env("OAUTH_AUTHORIZE_BASE", &env.provider_base);
        let base = format!("{origin}/api/auth");
        let (process, _log) = spawn_until_healthy(command, &format!("{base}/ok"));
        processes.push(process);
        configs.push((config, base, database));
    }
    Target {
        name: "better-auth",
        kind: "better-auth",
        secret: env.secret.clone(),
        configs,
        _processes: processes,
        servers: Vec::new(),
        _files: None,
    }
}

/// The `authgen init` answers of each configuration, matching reference/server.mjs.
fn init_answers(config: &str) -> &'static [&'static str] {
    match config {
        "basic" => &[
            "--methods",
            "email",
            "--email-verification",
            "off",
            "--faces",
            "token,better-auth",
        ],
        "full" => &[
            "--methods",
            "email,google,github,magic-link",
            "--email-verification",
            "required",
            "--faces",
            "token,better-auth",
        ],
        other => panic!("no init answers for the {other} configuration"),
    }
}

/// The configurations the generated server's Better Auth face serves: all of them, in every
/// scenario.
const AUTHGEN_CONFIGS: &[&str] = &["basic", "full"];

/// The generated server, one per configuration: rendered by `authgen init --yes` into a copy
/// of the empty fixture (as tests/email_flows.rs does), built in debug, started with the same
/// secret, frontend origin, SMTP sink and fake provider as the reference.
///
/// It is in every run (`COMPAT_AUTHGEN=0` leaves it out, to look at the reference alone), in
/// every scenario; its database questions are lib/stores.mjs's "authgen" store.
fn authgen_target(env: &Environment) -> Target {
    let mut configs = Vec::new();
    let mut servers = Vec::new();
    let binaries = tempfile::tempdir().unwrap();
    for &config in AUTHGEN_CONFIGS {
        let (_tmp, repo) = common::copy_fixture("empty");
        let mut args = vec!["init", "--yes"];
        args.extend_from_slice(init_answers(config));
        let init = common::run(&args, &repo);
        assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
        let database = create_database(&format!("compat_authgen_{config}"));
        let crate_dir = repo.join("auth-server");
        // The Better Auth face's code meets the bar every generated crate does.
        cargo(&crate_dir, &["fmt", "--check"], &database);
        cargo(
            &crate_dir,
            &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
            &database,
        );
        common::e2e::crate_tests(&crate_dir, &format!("compat_authgen_{config}"));
        // Both configurations build into the same shared target directory: keep each binary.
        let binary = binaries.path().join(format!("auth-server-{config}"));
        build_binary(&crate_dir, &database, &binary);
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(&binary);
        command
            .env_clear()
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .env("DATABASE_URL", &database)
            .env("AUTH_SECRET", &env.secret)
            .env("AUTH_ISSUER", &origin)
            // Better Auth's JWTs name the server's origin as `aud` too.
            .env("AUTH_AUDIENCE", &origin)
            .env("CORS_ORIGINS", APP_ORIGIN)
            // The harness is the proxy in front of it: X-Forwarded-For is the client address.
            .env("TRUST_PROXY", "true")
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", env.smtp_port))
            .env("EMAIL_FROM", "Compat <auth@compat.test>");
        if config == "full" {
            // As reference/server.mjs: cookieCache (5 minutes) and the bearer plugin.
            command
                .env("BETTER_AUTH_COOKIE_CACHE_SECONDS", "300")
                .env("BETTER_AUTH_BEARER", "true");
        }
        for (prefix, provider) in [("GOOGLE", "google"), ("GITHUB", "github")] {
            command
                .env(
                    format!("{prefix}_CLIENT_ID"),
                    format!("compat-{provider}-client"),
                )
                .env(
                    format!("{prefix}_CLIENT_SECRET"),
                    format!("compat-{provider}-secret"),
                )
                .env(
                    format!("{prefix}_AUTHORIZE_URL"),
                    format!("{}/{provider}/authorize", env.provider_base),
                );
        }
        let base = format!("{origin}/api/auth");
        let (process, log) = spawn_until_healthy(command, &format!("{base}/health"));
        servers.push(Running {
            process,
            base: base.clone(),
            log,
        });
        configs.push((config, base, database));
    }
    Target {
        name: "authgen",
        kind: "authgen",
        secret: env.secret.clone(),
        configs,
        _processes: Vec::new(),
        servers,
        _files: Some(binaries),
    }
}

/// The scenarios, run by Node's test runner against `targets`; their output on failure.
fn run_scenarios(targets: &[Target], sink: &Sink, env: &Environment) {
    let targets = Value::Array(targets.iter().map(Target::json).collect());
    let mut args = vec!["--test".to_owned(), "--test-reporter=spec".to_owned()];
    // COMPAT_ONLY=<regex>: only the scenarios whose name ("sign-in [basic]") matches.
    if let Ok(pattern) = std::env::var("COMPAT_ONLY") {
        args.push(format!("--test-name-pattern={pattern}"));
    }
    args.push("test/".to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = node(&args);
    command
        .env("COMPAT_TARGETS", targets.to_string())
        .env("COMPAT_APP_ORIGIN", APP_ORIGIN)
        .env("COMPAT_MAIL_DIR", sink.dir.path())
        .env("COMPAT_PROVIDER_BASE", &env.provider_base)
        .env("COMPAT_OUT_DIR", out_dir());
    // Last run's observations go, so a renamed scenario leaves nothing stale behind; so do
    // the golden ones when they are re-recorded.
    let _ = std::fs::remove_dir_all(out_dir());
    if std::env::var("COMPAT_UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(harness_dir().join("reference-observations"));
        command.env("COMPAT_UPDATE_GOLDEN", "1");
    }
    let started = Instant::now();
    let output = command.output().expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "Better Auth compatibility scenarios failed (observations in {}):\n{stdout}\n{stderr}",
        out_dir().display()
    );
    // The spec reporter's closing counts: "ℹ pass 50", "ℹ fail 0".
    let summary: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ℹ "))
        .filter(|l| l.starts_with("pass ") || l.starts_with("fail "))
        .collect();
    println!(
        "scenarios: {} in {:.1} s",
        summary.join(", "),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_official_client_sees_better_auth_behaviour() {
    install_npm_packages();
    let sink = start_sink();
    let env = Environment {
        smtp_port: sink.port,
        provider_base: format!("http://127.0.0.1:{}/oauth", free_port()),
        secret: random_secret(),
    };
    let mut targets = vec![reference_target(&env)];
    if std::env::var("COMPAT_AUTHGEN").as_deref() != Ok("0") {
        targets.push(authgen_target(&env));
    }
    run_scenarios(&targets, &sink, &env);
    for target in targets.iter().filter(|t| t.kind == "authgen") {
        for (server, (config, base, database)) in target.servers.iter().zip(&target.configs) {
            if *config == "full" {
                a_squatter_loses_the_password_when_the_owner_verifies(base, sink.dir.path());
                a_forged_cookie_cache_is_not_believed(base, sink.dir.path(), &target.secret);
            } else {
                // These checks sign up and are signed in at once: the basic configuration.
                let email = one_service_layer(base);
                list_sessions_handles_open_nothing(base, &target.secret);
                let browser = update_user_completes_the_profile(base, &email);
                session_routes_check_the_origin(base, &browser);
            }
            // Both faces in /openapi.json, and a fuzzer agrees with what it says.
            fuzz_openapi(server, database);
        }
    }
}

/// Account pre-hijacking through the Better Auth face, where verification is required:
/// someone signs up with another person's address and a password of their own. When the
/// owner follows the verification link from their own mail in their own browser, the
/// account is theirs and the squatter's password signs in no more. (An owner who signs up
/// and verifies in one browser keeps the password: the scenarios sign in after that.)
fn a_squatter_loses_the_password_when_the_owner_verifies(base: &str, mail_dir: &Path) {
    let email = format!("squatted-{}@example.test", free_port());
    let password = "the-squatters-password";
    let squatter = Browser::new(Some(APP_ORIGIN));
    let up = squatter.post(
        &format!("{base}/sign-up/email"),
        json!({ "email": email, "password": password, "name": "Squatter" }),
    );
    assert_eq!(up.status, 200, "{}", up.text);
    assert!(
        squatter.cookie("auth_signup").is_some(),
        "the sign-up binding is set"
    );
    let link = mail_link(mail_dir, &email);
    let owner = Browser::new(None);
    let opened = owner.get(&link);
    assert_eq!(opened.status, 302, "{}", opened.text);
    assert!(
        owner.cookie("better-auth.session_token").is_some(),
        "the owner is signed in by the link"
    );
    let sign_in = squatter.post(
        &format!("{base}/sign-in/email"),
        json!({ "email": email, "password": password }),
    );
    assert_eq!(sign_in.status, 401, "{}", sign_in.text);
    assert!(
        sign_in.text.contains("INVALID_EMAIL_OR_PASSWORD"),
        "{}",
        sign_in.text
    );
}

/// The `session_data` cookie cache answers get-session without the database, so it is
/// believed only under the server's signature. A browser's real session cookie with a cache
/// that says its user has another address is answered from the database, with the real
/// one, and the forged cache is expired — whether its signature is junk or made with another
/// secret. Made with the server's secret, the same cache is believed: the signature is what
/// stands between.
fn a_forged_cookie_cache_is_not_believed(base: &str, mail_dir: &Path, secret: &str) {
    let email = format!("cached-{}@example.test", free_port());
    let browser = Browser::new(Some(APP_ORIGIN));
    let up = browser.post(
        &format!("{base}/sign-up/email"),
        json!({ "email": email, "password": "correct-horse-battery", "name": "Cached" }),
    );
    assert_eq!(up.status, 200, "{}", up.text);
    let user_id = serde_json::from_str::<Value>(&up.text).unwrap()["user"]["id"].clone();
    let opened = browser.get(&mail_link(mail_dir, &email));
    assert_eq!(opened.status, 302, "{}", opened.text);
    let session_cookie = browser
        .cookie("better-auth.session_token")
        .expect("signed in by the link");
    let token = session_cookie.split('.').next().unwrap().to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let victim = "victim@example.test";
    // Keys in sorted order at every level: the server signs its own serialisation.
    let cached = json!({
        "session": {
            "createdAt": "2026-01-01T00:00:00.000Z",
            "expiresAt": "2099-01-01T00:00:00.000Z",
            "id": "00000000-0000-4000-8000-000000000001",
            "ipAddress": "",
            "token": token,
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "userAgent": "",
            "userId": user_id,
        },
        "updatedAt": now,
        "user": {
            "createdAt": "2026-01-01T00:00:00.000Z",
            "email": victim,
            "emailVerified": true,
            "id": user_id,
            "image": null,
            "name": "Victim",
            "updatedAt": "2026-01-01T00:00:00.000Z",
        },
        "version": "1",
    });
    let expires_at = now + 300_000;
    let signed = cached.to_string();
    let signed = format!(
        "{},\"expiresAt\":{expires_at}}}",
        signed.strip_suffix('}').unwrap()
    );
    let base64url = |bytes: &[u8]| {
        base64(bytes)
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', "")
    };
    let with_signature = |signature: String| {
        let payload = json!({ "session": cached, "expiresAt": expires_at, "signature": signature });
        base64url(payload.to_string().as_bytes())
    };
    let get_session = |cache: &str| {
        let url = format!("{base}/get-session");
        let cookie =
            format!("better-auth.session_token={session_cookie}; better-auth.session_data={cache}");
        Reply::of(&url, ureq::get(&url).set("Cookie", &cookie).call())
    };
    let other_secret = "another-secret-another-secret-0123456789";
    for (what, signature) in [
        ("a junk signature", "A".repeat(43)),
        (
            "another secret's signature",
            base64url(&hmac_sha256(other_secret.as_bytes(), &signed)),
        ),
    ] {
        let reply = get_session(&with_signature(signature));
        assert_eq!(reply.status, 200, "{what}: {}", reply.text);
        let body: Value = serde_json::from_str(&reply.text).unwrap();
        assert_eq!(body["user"]["email"], email.as_str(), "{what}: {body}");
        let expired = reply.headers.iter().any(|(name, value)| {
            name == "set-cookie" && value.starts_with("better-auth.session_data=;")
        });
        assert!(
            expired,
            "{what}: the forged cache is expired: {:?}",
            reply.headers
        );
    }
    let genuine = base64url(&hmac_sha256(secret.as_bytes(), &signed));
    let reply = get_session(&with_signature(genuine));
    let body: Value = serde_json::from_str(&reply.text).unwrap();
    assert_eq!(
        body["user"]["email"], victim,
        "the server's own signature is believed"
    );
}

/// The link in the first mail the sink received for `to`, waited for.
fn mail_link(dir: &Path, to: &str) -> String {
    for _ in 0..200 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let message: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
            if message["envelope_to"].to_string().contains(to) {
                let text = message["text"].as_str().unwrap_or_default();
                let link = text.split_whitespace().find(|w| w.starts_with("http"));
                return link.expect("the mail has a link").to_owned();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no mail to {to}");
}

/// The generated server's two faces share one service layer: a session opened through
/// Better Auth's API is a session of the token API (its `set-auth-jwt` is accepted by `/me`),
/// and signing out through either face ends it for both. The user's address.
fn one_service_layer(base: &str) -> String {
    let password = "correct-horse-battery";
    let email = format!("both-faces-{}@example.test", free_port());
    let browser = Browser::new(Some(APP_ORIGIN));
    let image = "https://cdn.example.test/both.png";
    let up = browser.post(
        &format!("{base}/sign-up/email"),
        json!({ "email": email, "password": password, "name": "Both", "image": image }),
    );
    assert_eq!(up.status, 200, "{}", up.text);
    let created: Value = serde_json::from_str(&up.text).unwrap();
    assert_eq!(created["user"]["image"], image, "sign-up keeps the image");
    let jwt_of = |browser: &Browser| session_jwt(base, browser);
    let jwt = jwt_of(&browser);
    let (status, me) = get(&format!("{base}/me"), Some(&jwt));
    assert_eq!(status, 200, "the token API takes Better Auth's JWT: {me}");
    assert_eq!(me["email"], email.as_str());
    let out = browser.post(&format!("{base}/sign-out"), json!({}));
    assert_eq!(out.status, 200, "{}", out.text);
    let (status, me) = get(&format!("{base}/me"), Some(&jwt));
    assert_eq!(status, 401, "signed out through Better Auth's API: {me}");
    assert_eq!(me["code"], "SESSION_REVOKED");

    let browser = Browser::new(Some(APP_ORIGIN));
    let signed_in = browser.post(
        &format!("{base}/sign-in/email"),
        json!({ "email": email, "password": password }),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let jwt = jwt_of(&browser);
    let url = format!("{base}/signout");
    let out = Reply::of(
        &url,
        ureq::post(&url)
            .set("Authorization", &format!("Bearer {jwt}"))
            .call(),
    );
    assert_eq!(out.status, 204, "{}", out.text);
    let after = browser.get(&format!("{base}/get-session"));
    assert_eq!(
        (after.status, after.text.as_str()),
        (200, "null"),
        "signed out through the token API: the cookie's session is gone too"
    );
    email
}

/// list-sessions shows the caller's other sessions with a handle instead of their token (the
/// deliberate difference `list-sessions-token-handles`: tokens are stored only as hashes). A
/// handle revokes one of the caller's own sessions and does nothing else: as the session
/// cookie — unsigned, or signed with the server's own secret — and as a Bearer it opens no
/// session at get-session, `/token` or `/me`, and another user revoking it changes nothing.
fn list_sessions_handles_open_nothing(base: &str, secret: &str) {
    let password = "correct-horse-battery";
    let sign_up = |browser: &Browser, who: &str| {
        let email = format!("{who}-{}@example.test", free_port());
        let up = browser.post(
            &format!("{base}/sign-up/email"),
            json!({ "email": email, "password": password, "name": who }),
        );
        assert_eq!(up.status, 200, "{}", up.text);
        (email, up.json()["token"].as_str().unwrap().to_owned())
    };
    let session_of = |browser: &Browser| browser.get(&format!("{base}/get-session")).json();
    let laptop = Browser::new(Some(APP_ORIGIN));
    let (email, laptop_token) = sign_up(&laptop, "handles");
    let phone = Browser::new(Some(APP_ORIGIN));
    let signed_in = phone.post(
        &format!("{base}/sign-in/email"),
        json!({ "email": email, "password": password }),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let phone_token = signed_in.json()["token"].as_str().unwrap().to_owned();

    let list = laptop.get(&format!("{base}/list-sessions"));
    assert_eq!(list.status, 200, "{}", list.text);
    let tokens: Vec<String> = list
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["token"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 2, "{}", list.text);
    assert!(
        tokens.contains(&laptop_token),
        "its own session shows its token"
    );
    let handle = tokens.iter().find(|t| **t != laptop_token).unwrap().clone();
    assert_ne!(handle, phone_token, "the other session shows a handle");

    let signed = format!(
        "{handle}.{}",
        base64(&hmac_sha256(secret.as_bytes(), &handle))
    );
    let encoded: String = signed
        .chars()
        .map(|c| match c {
            '+' => "%2B".to_owned(),
            '/' => "%2F".to_owned(),
            '=' => "%3D".to_owned(),
            c => c.to_string(),
        })
        .collect();
    for value in [handle.as_str(), encoded.as_str()] {
        let cookie = format!("better-auth.session_token={value}");
        let url = format!("{base}/get-session");
        let session = Reply::of(&url, ureq::get(&url).set("Cookie", &cookie).call());
        assert_eq!(
            (session.status, session.text.as_str()),
            (200, "null"),
            "a handle as the session cookie ({value})"
        );
        let url = format!("{base}/token");
        let token = Reply::of(&url, ureq::get(&url).set("Cookie", &cookie).call());
        assert_eq!(
            token.status, 401,
            "/token with a handle cookie: {}",
            token.text
        );
    }
    let bearer = format!("Bearer {handle}");
    for (path, status, body) in [
        ("/get-session", 200, Some("null")),
        ("/token", 401, None),
        ("/me", 401, None),
    ] {
        let url = format!("{base}{path}");
        let reply = Reply::of(&url, ureq::get(&url).set("Authorization", &bearer).call());
        assert_eq!(
            reply.status, status,
            "{path} with a handle as Bearer: {}",
            reply.text
        );
        if let Some(body) = body {
            assert_eq!(reply.text, body, "{path} with a handle as Bearer");
        }
    }

    let eve = Browser::new(Some(APP_ORIGIN));
    sign_up(&eve, "eve");
    let foreign = eve.post(
        &format!("{base}/revoke-session"),
        json!({ "token": handle }),
    );
    assert_eq!(
        foreign.json(),
        json!({ "status": true }),
        "{}",
        foreign.text
    );
    assert_eq!(
        session_of(&phone)["session"]["token"],
        phone_token.as_str(),
        "another user's revoke-session with the handle changed nothing"
    );
    let own = laptop.post(
        &format!("{base}/revoke-session"),
        json!({ "token": handle }),
    );
    assert_eq!(own.json(), json!({ "status": true }), "{}", own.text);
    assert_eq!(
        session_of(&phone),
        Value::Null,
        "the owner revoked it by its handle"
    );
    assert_eq!(
        session_of(&laptop)["session"]["token"],
        laptop_token.as_str(),
        "revoking another session keeps this one"
    );
}

#[test]
fn base64_helpers_match_rfc_4648() {
    assert_eq!(base64url_decode("Zm9vYmE"), b"fooba");
    assert_eq!(base64url_decode("-_8"), [0xfb, 0xff]);
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fooba"), "Zm9vYmE=");
    assert_eq!(base64(b"foob"), "Zm9vYg==");
    assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
}

/// The JWT get-session sends in `set-auth-jwt` for the browser's session.
fn session_jwt(base: &str, browser: &Browser) -> String {
    let session = browser.get(&format!("{base}/get-session"));
    assert_eq!(session.status, 200, "{}", session.text);
    session
        .header("set-auth-jwt")
        .expect("set-auth-jwt")
        .to_owned()
}

/// Better Auth's update-user takes the fields of the token API's `PATCH /profile`: with them it
/// completes the profile as that does, and the next JWT says `profile_complete: true`; a new
/// name alone completes nothing. The browser, still signed in.
fn update_user_completes_the_profile(base: &str, email: &str) -> Browser {
    let browser = Browser::new(Some(APP_ORIGIN));
    let signed_in = browser.post(
        &format!("{base}/sign-in/email"),
        json!({ "email": email, "password": "correct-horse-battery" }),
    );
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let jwt = || session_jwt(base, &browser);
    let claims = |jwt: &str| -> Value {
        let payload = jwt.split('.').nth(1).expect("a JWT");
        serde_json::from_slice(&base64url_decode(payload)).expect("JSON claims")
    };
    assert_eq!(claims(&jwt())["profile_complete"], false);
    let update = |body: Value| {
        let reply = browser.post(&format!("{base}/update-user"), body);
        assert_eq!(reply.json(), json!({ "status": true }), "{}", reply.text);
    };
    update(json!({ "name": "Renamed" }));
    let renamed = claims(&jwt());
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(renamed["profile_complete"], false, "a new name alone");
    update(json!({ "display_name": "Ada L.", "bio": "Engines" }));
    let token = jwt();
    let completed = claims(&token);
    assert_eq!(completed["profile_complete"], true, "{completed}");
    assert_eq!(completed["name"], "Renamed");
    let (status, me) = get(&format!("{base}/me"), Some(&token));
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["profile_complete"], true, "{me}");
    browser
}

/// The session routes' POSTs carry the session cookie, so a page on another origin must not
/// be able to make them: 403 INVALID_ORIGIN (MISSING_OR_NULL_ORIGIN without Origin), and the
/// session still stands.
fn session_routes_check_the_origin(base: &str, browser: &Browser) {
    let token = browser
        .cookie("better-auth.session_token")
        .expect("signed in");
    let cookie = format!("better-auth.session_token={token}");
    let bodies = [
        (
            "/revoke-session",
            json!({ "token": token.split('.').next() }),
        ),
        ("/revoke-sessions", json!({})),
        ("/revoke-other-sessions", json!({})),
        ("/update-user", json!({ "name": "Mallory" })),
        (
            "/change-password",
            json!({ "currentPassword": "x", "newPassword": "mallory-was-here", "revokeOtherSessions": true }),
        ),
    ];
    for (path, body) in bodies {
        let url = format!("{base}{path}");
        for (origin, code) in [
            (Some("https://evil.example"), "INVALID_ORIGIN"),
            (None, "MISSING_OR_NULL_ORIGIN"),
        ] {
            let mut request = ureq::post(&url).set("Cookie", &cookie);
            if let Some(origin) = origin {
                request = request.set("Origin", origin);
            }
            let reply = Reply::of(&url, request.send_json(body.clone()));
            assert_eq!(
                (reply.status, reply.code()),
                (403, json!(code)),
                "{path} from {origin:?}: {}",
                reply.text
            );
        }
    }
    let session = browser.get(&format!("{base}/get-session")).json();
    assert_eq!(session["user"]["name"], "Renamed", "nothing changed");
}
