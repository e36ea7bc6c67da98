//! The email flows of the generated server, for real: a configuration with every method on is
//! rendered, held to rustfmt, clippy -D warnings and its own tests, then run against a local
//! SMTP sink (aiosmtpd) and a stand-in for Resend's API, both started here. The tests read the
//! emails the server sent and follow their links: verification, password reset, magic links.
//!
//! Needs DATABASE_URL pointing at a PostgreSQL server where databases can be created
//! (scripts/with-postgres.sh) and the test virtualenv of scripts/python-env.sh.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::e2e::*;
use common::mail::*;
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ALL_METHODS: &[&str] = &[
    "--methods",
    "email,google,github,magic-link",
    "--email-verification",
    "required",
];

/// The raw token is nowhere in `verifications`; its SHA-256 is, once.
fn assert_stored_hashed(url: &str, token: &str) {
    assert!(
        token.len() >= 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "256 bits, URL-safe: {token}"
    );
    let raw = psql(
        url,
        &format!("SELECT count(*) FROM verifications v WHERE position('{token}' in v::text) > 0"),
    );
    assert_eq!(raw, "0", "the raw token is stored");
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let hashed = psql(
        url,
        &format!("SELECT count(*) FROM verifications WHERE token_hash = decode('{hash}', 'hex')"),
    );
    assert_eq!(hashed, "1", "its SHA-256 is stored");
}

/// Status and body text, to compare two answers byte for byte.
fn post_text(url: &str, body: Value) -> (u16, String) {
    match ureq::post(url).send_json(body) {
        Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap()),
        Err(err) => panic!("{url}: {err}"),
    }
}

/// The generated server, and the browser its users sign up in: sign-up leaves a cookie that
/// lets the same browser's verification link keep the password it chose.
struct Server {
    running: Running,
    browser: Browser,
}

fn serve(binary: &Path, env: &[(&str, String)]) -> Server {
    let running = common::e2e::serve(binary, env);
    let browser = Browser::new(Some(&running.origin()));
    Server { running, browser }
}

impl Server {
    fn url(&self, path: &str) -> String {
        self.running.url(path)
    }

    fn log(&self) -> String {
        self.running.log()
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        post(&self.url(path), body)
    }

    fn sign_up(&self, email: &str, password: &str) -> Value {
        let reply = self.browser.post(
            &self.url("/signup"),
            json!({ "email": email, "password": password, "name": "Mail" }),
        );
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json()
    }

    fn sign_in(&self, email: &str, password: &str) -> (u16, Value) {
        self.post("/signin", json!({ "email": email, "password": password }))
    }

    /// Open an emailed link (as an API client: a dead link answers JSON) and, when it opens
    /// its confirmation page, press the button: POST the token from the sign-up browser.
    fn follow(&self, link: &str) -> (u16, Value) {
        let (status, page) = match ureq::get(link).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap()),
            Err(err) => panic!("{link}: {err}"),
        };
        if status != 200 {
            return (status, serde_json::from_str(&page).unwrap_or(Value::Null));
        }
        let token = token_of(link);
        assert!(page.contains(&token), "the page posts the token: {page}");
        let action = link.split('?').next().unwrap();
        let reply = self.browser.post(action, json!({ "token": token }));
        (reply.status, reply.json())
    }
}

const PASSWORD: &str = "correct horse battery";

#[test]
fn email_flows_against_a_real_smtp_sink_and_a_fake_resend() {
    let (_tmp, repo) = copy_fixture("empty");
    let mut args = vec!["init", "--yes"];
    args.extend_from_slice(ALL_METHODS);
    let init = run(&args, &repo);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let crate_dir = repo.join("auth-server");
    let url = create_database("authgen_e2e_email");
    cargo(&crate_dir, &["fmt", "--check"], &url);
    cargo(
        &crate_dir,
        &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
        &url,
    );
    crate_tests(&crate_dir, "authgen_e2e_email");
    let binary = target_dir().join("debug/auth-server");

    let smtp = start_sink("smtp");
    let common_env = vec![
        ("DATABASE_URL", url.clone()),
        ("AUTH_SECRET", random_secret()),
        ("AUTH_AUDIENCE", "e2e-api".to_owned()),
        ("CORS_ORIGINS", "http://app.e2e".to_owned()),
        ("EMAIL_FROM", "E2E Auth <auth@e2e.test>".to_owned()),
        // The configuration also has Google and GitHub sign-in (tests/oauth_flows.rs drives
        // it); the server only needs client credentials to start.
        ("GOOGLE_CLIENT_ID", "e2e-google-client".to_owned()),
        ("GOOGLE_CLIENT_SECRET", "e2e-google-secret".to_owned()),
        ("GITHUB_CLIENT_ID", "e2e-github-client".to_owned()),
        ("GITHUB_CLIENT_SECRET", "e2e-github-secret".to_owned()),
    ];
    let mut env = common_env.clone();
    env.extend([
        ("SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port)),
        ("RATE_LIMIT_EMAIL", "3".to_owned()),
        ("RATE_LIMIT_EMAIL_PER_IP", "1000".to_owned()),
        // Sign-in's own limit (5 a minute) is not under test here.
        ("RATE_LIMIT_SIGN_IN", "100".to_owned()),
    ]);
    let server = serve(&binary, &env);
    let id = std::process::id();

    // Verification: no session before the link is followed.
    let ada = format!("ada-{id}@example.com");
    let created = server.sign_up(&ada, PASSWORD);
    assert!(created.get("access_token").is_none(), "{created}");
    assert_eq!(created["email_verification_required"], true);
    let (status, body) = server.sign_in(&ada, PASSWORD);
    assert_eq!(
        (status, body["code"].clone()),
        (403, json!("EMAIL_NOT_VERIFIED"))
    );
    let (status, body) = server.sign_in(&ada, "wrong password");
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("INVALID_CREDENTIALS")),
        "a wrong password is not told apart from an unverified address"
    );
    let mail = smtp.nth_mail_to(&ada, 1);
    assert_eq!(mail["subject"], "Verify your email address");
    assert_eq!(mail["from"], "E2E Auth <auth@e2e.test>");
    let link = link_in(&mail);
    assert!(
        link.starts_with(&server.url("/verify-email?token=")),
        "{link}"
    );
    assert_stored_hashed(&url, &token_of(&link));
    let (status, body) = server.follow(&link);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "verified");
    let (status, body) = server.follow(&link);
    assert_eq!((status, body["code"].clone()), (400, json!("INVALID_LINK")));
    let (status, first_session) = server.sign_in(&ada, PASSWORD);
    assert_eq!(status, 200, "{first_session}");

    // A new verification link replaces the old one.
    let bob = format!("bob-{id}@example.com");
    server.sign_up(&bob, PASSWORD);
    let old = link_in(&smtp.nth_mail_to(&bob, 1));
    let resend_known = post_text(
        &server.url("/send-verification-email"),
        json!({ "email": bob }),
    );
    let resend_unknown = post_text(
        &server.url("/send-verification-email"),
        json!({ "email": format!("nobody-{id}@example.com") }),
    );
    assert_eq!(resend_known.0, 202);
    assert_eq!(resend_known, resend_unknown);
    let new = link_in(&smtp.nth_mail_to(&bob, 2));
    assert_eq!(server.follow(&old).0, 400, "only the latest link works");
    assert_eq!(server.follow(&new).0, 200);
    assert_eq!(server.sign_in(&bob, PASSWORD).0, 200);

    // Password reset: the same answer for an unknown address, a single-use link, and every
    // session ends.
    let (_, second_session) = server.sign_in(&ada, PASSWORD);
    let known = post_text(
        &server.url("/request-password-reset"),
        json!({ "email": ada }),
    );
    let stranger = format!("stranger-{id}@example.com");
    let unknown = post_text(
        &server.url("/request-password-reset"),
        json!({ "email": stranger }),
    );
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "unknown and known addresses answer alike");
    let mail = smtp.nth_mail_to(&ada, 2);
    assert_eq!(mail["subject"], "Reset your password");
    let link = link_in(&mail);
    assert!(
        link.starts_with("http://app.e2e/reset-password?token="),
        "{link}"
    );
    let token = token_of(&link);
    assert_stored_hashed(&url, &token);
    let (status, body) = server.post(
        "/reset-password",
        json!({ "token": token, "password": "short" }),
    );
    assert_eq!(
        (status, body["code"].clone()),
        (422, json!("PASSWORD_TOO_SHORT"))
    );
    let new_password = "a brand new passphrase";
    let reset = json!({ "token": token, "password": new_password });
    let (status, body) = server.post("/reset-password", reset.clone());
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.post("/reset-password", reset);
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("INVALID_LINK")),
        "a reset link works once"
    );
    for session in [&first_session, &second_session] {
        let (status, _) = server.post(
            "/refresh",
            json!({ "refresh_token": session["refresh_token"] }),
        );
        assert_eq!(status, 401, "the reset revokes every refresh token");
        let (status, body) = get(
            &server.url("/me"),
            Some(session["access_token"].as_str().unwrap()),
        );
        assert_eq!(
            (status, body["code"].clone()),
            (401, json!("SESSION_REVOKED"))
        );
    }
    assert_eq!(server.sign_in(&ada, PASSWORD).0, 401);
    assert_eq!(server.sign_in(&ada, new_password).0, 200);
    assert!(
        smtp.mail_to(&stranger).is_empty(),
        "no email to an address without an account"
    );

    // Magic link: the account is created on first use; a browser gets cookies and a redirect.
    let cleo = format!("cleo-{id}@example.com");
    let (status, _) = server.post("/sign-in/magic-link", json!({ "email": cleo }));
    assert_eq!(status, 202);
    let mail = smtp.nth_mail_to(&cleo, 1);
    assert_eq!(mail["subject"], "Your sign-in link");
    let link = link_in(&mail);
    assert!(
        link.starts_with(&server.url("/magic-link/verify?token=")),
        "{link}"
    );
    assert_stored_hashed(&url, &token_of(&link));
    let browser = Browser::new(Some(&server.running.origin()));
    let page = browser.get(&link);
    assert_eq!(page.status, 200, "the link opens a confirmation page");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text.contains(&cleo), "{}", page.text);
    let response = browser.submit(
        &server.url("/magic-link/verify"),
        &[("token", &token_of(&link))],
    );
    assert_eq!(response.status, 303, "{}", response.text);
    assert_eq!(
        response.header("location"),
        Some("http://app.e2e?signed_in=true")
    );
    let access = browser
        .cookie("auth_access_token")
        .expect("the access cookie comes with the redirect");
    let (status, me) = get(&server.url("/me"), Some(&access));
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], cleo.as_str());
    assert_eq!(me["email_verified"], true);
    let (status, body) = server.follow(&link);
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("INVALID_LINK")),
        "a magic link works once"
    );
    // An existing account signs in with the same token pair as a password sign-in.
    server.post("/sign-in/magic-link", json!({ "email": ada }));
    let (status, signed_in) = server.follow(&link_in(&smtp.nth_mail_to(&ada, 3)));
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["user"]["email"], ada.as_str());
    assert_eq!(signed_in["token_type"], "Bearer");
    assert_eq!(
        get(
            &server.url("/me"),
            Some(signed_in["access_token"].as_str().unwrap())
        )
        .0,
        200
    );

    // Every endpoint that sends mail: 429 with Retry-After after RATE_LIMIT_EMAIL (3) per hour.
    for path in [
        "/request-password-reset",
        "/sign-in/magic-link",
        "/send-verification-email",
    ] {
        let address = format!("limited{}-{id}@example.com", path.replace('/', "-"));
        for attempt in 1..=3 {
            let (status, body) = server.post(path, json!({ "email": address }));
            assert_eq!(status, 202, "{path} attempt {attempt}: {body}");
        }
        let response = ureq::post(&server.url(path)).send_json(json!({ "email": address }));
        let Err(ureq::Error::Status(429, response)) = response else {
            panic!("{path}: the 4th request is not 429");
        };
        let retry_after: u64 = response.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry_after), "{retry_after}");
    }
    let log = server.log();
    assert!(
        !log.contains("token="),
        "no link in the log with a provider configured:\n{log}"
    );
    drop(server);

    // Short lifetimes: links expire on time.
    let mut short = env.clone();
    short.extend([
        ("VERIFICATION_TTL_SECS", "1".to_owned()),
        ("RESET_TTL_SECS", "1".to_owned()),
        ("MAGIC_LINK_TTL_SECS", "1".to_owned()),
    ]);
    let server = serve(&binary, &short);
    let dora = format!("dora-{id}@example.com");
    server.sign_up(&dora, PASSWORD);
    let verify = link_in(&smtp.nth_mail_to(&dora, 1));
    server.post("/request-password-reset", json!({ "email": bob }));
    let reset = token_of(&link_in(&smtp.nth_mail_to(&bob, 3)));
    server.post("/sign-in/magic-link", json!({ "email": bob }));
    let magic = link_in(&smtp.nth_mail_to(&bob, 4));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(server.follow(&verify).0, 400, "verification link expired");
    let (status, body) = server.post(
        "/reset-password",
        json!({ "token": reset, "password": "another new passphrase" }),
    );
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("INVALID_LINK")),
        "reset link expired"
    );
    assert_eq!(server.follow(&magic).0, 400, "magic link expired");
    assert_eq!(
        server.sign_in(&bob, PASSWORD).0,
        200,
        "bob's password stands"
    );
    drop(server);

    // Resend: the JSON the server posts, with the key as a bearer token.
    let fake = start_sink("resend");
    let mut env = common_env.clone();
    env.extend([
        ("RESEND_API_KEY", "re_test_0123456789".to_owned()),
        ("RESEND_BASE_URL", format!("http://127.0.0.1:{}", fake.port)),
    ]);
    let server = serve(&binary, &env);
    server.post("/request-password-reset", json!({ "email": bob }));
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.all().is_empty() {
        assert!(
            Instant::now() < deadline,
            "nothing posted to the Resend stand-in"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let request = &fake.all()[0];
    assert_eq!(request["path"], "/emails");
    assert_eq!(request["authorization"], "Bearer re_test_0123456789");
    assert_eq!(request["content_type"], "application/json");
    let body = &request["body"];
    assert_eq!(body["from"], "E2E Auth <auth@e2e.test>");
    assert_eq!(body["to"], json!([bob]));
    assert_eq!(body["subject"], "Reset your password");
    let link = link_in(body);
    assert!(link.starts_with("http://app.e2e/reset-password?token="));
    let (status, body) = server.post(
        "/reset-password",
        json!({ "token": token_of(&link), "password": "reset through resend" }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.sign_in(&bob, "reset through resend").0, 200);
    drop(server);

    // Development without a provider: nothing is sent, the link is logged.
    let server = serve(&binary, &common_env);
    let eve = format!("eve-{id}@example.com");
    server.post("/sign-in/magic-link", json!({ "email": eve }));
    let deadline = Instant::now() + Duration::from_secs(20);
    let logged = loop {
        let log = server.log();
        if let Some(line) = log
            .lines()
            .find(|l| l.contains("no email provider configured"))
        {
            break line.to_owned();
        }
        assert!(Instant::now() < deadline, "no link logged:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        logged.contains(&server.url("/magic-link/verify?token=")),
        "{logged}"
    );
    assert!(smtp.mail_to(&eve).is_empty());
    drop(server);

    // The fuzzer on the whole document (every method, OAuth redirects included), its mail to
    // the sink. tests/oauth_flows.rs renders the same configuration.
    fuzz_openapi(&common::e2e::serve(&binary, &env), &url);

    // Production without a provider refuses to start, naming the problem.
    let output = Command::new(&binary)
        .env_clear()
        .env("APP_ENV", "production")
        .env("DATABASE_URL", &url)
        .env("AUTH_SECRET", random_secret())
        .env("AUTH_ISSUER", "https://auth.e2e.test")
        .env("CORS_ORIGINS", "https://app.e2e.test")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in [
        "APP_ENV=production without an email provider: set SMTP_URL or RESEND_API_KEY",
        "APP_ENV=production needs EMAIL_FROM",
    ] {
        assert!(stderr.contains(line), "{line:?} not in:\n{stderr}");
    }
}

/// Cheap, no build: what each configuration renders.
#[test]
fn rendered_configurations_generate_only_what_they_need() {
    // email + password, no verification: no mail code at all.
    let (_tmp, repo) = copy_fixture("empty");
    let init = run(
        &[
            "init",
            "--yes",
            "--methods",
            "email",
            "--email-verification",
            "off",
        ],
        &repo,
    );
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let server = repo.join("auth-server");
    for path in [
        "src/email.rs",
        "src/email_links.rs",
        "src/verification.rs",
        "emails",
    ] {
        assert!(!server.join(path).exists(), "{path} is generated");
    }
    let code = code_of(&server);
    for word in [
        "magic",
        "lettre",
        "smtp",
        "resend",
        "mailer",
        "verification",
        "reset",
    ] {
        assert!(
            !code.to_lowercase().contains(word),
            "`{word}` in the code of an email + password server"
        );
    }

    // Magic links without verification: no verification code.
    let (_tmp, repo) = copy_fixture("empty");
    let init = run(&["init", "--yes", "--methods", "email,magic-link"], &repo);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let server = repo.join("auth-server");
    assert!(server.join("emails/magic-link.html").exists());
    assert!(!server.join("emails/verify-email.html").exists());
    let code = code_of(&server);
    for word in [
        "verify-email",
        "VerifyEmail",
        "EMAIL_NOT_VERIFIED",
        "VERIFICATION_TTL",
    ] {
        assert!(!code.contains(word), "`{word}` without email verification");
    }
    assert!(code.contains("MAGIC_LINK_TTL_SECS"));
    assert!(
        !init.stdout.contains("magic-link: recorded, but"),
        "magic links are no longer pending:\n{}",
        init.stdout
    );
}

/// The sources, manifest, tests and env template of a generated server, as one string.
fn code_of(server: &Path) -> String {
    let mut code = String::new();
    for dir in ["src", "tests"] {
        for entry in std::fs::read_dir(server.join(dir)).unwrap() {
            code.push_str(&read(&entry.unwrap().path()));
        }
    }
    for file in ["Cargo.toml", ".env.example"] {
        code.push_str(&read(&server.join(file)));
    }
    code
}

/// The doctor's email-service check: quiet on what init generates, and it fires once the
/// provider variables are gone from every env and deploy file of the server.
#[test]
fn doctor_email_service_follows_the_generated_server() {
    let (_tmp, repo) = copy_fixture("empty");
    let mut args = vec!["init", "--yes"];
    args.extend_from_slice(ALL_METHODS);
    let init = run(&args, &repo);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let doctor = run(
        &["doctor", "--check", "email-service", "--fail-on", "warning"],
        &repo,
    );
    assert_eq!(doctor.code, 0, "{}{}", doctor.stdout, doctor.stderr);

    for file in [".env.example", "compose.yaml"] {
        let path = repo.join("auth-server").join(file);
        let text = read(&path);
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !(l.contains("SMTP_URL") || l.contains("RESEND_API_KEY")))
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
    let doctor = run(
        &[
            "doctor",
            "--check",
            "email-service",
            "--fail-on",
            "warning",
            "--format",
            "json",
        ],
        &repo,
    );
    assert_eq!(doctor.code, 1, "{}{}", doctor.stdout, doctor.stderr);
    let report: Value = serde_json::from_str(&doctor.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("email verification is required"), "{text}");
    assert!(text.contains("magic-link sign-in is enabled"), "{text}");
}
