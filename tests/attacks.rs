//! The generated server under attack, for real: two configurations are rendered and built,
//! started as processes on a throwaway PostgreSQL (with an SMTP sink for their mail), and
//! every defence of issue 12 is attacked over HTTP the way an attacker would: spoofed
//! forwarding headers, accounts registered ahead of their owners, sign-out after the access
//! token is gone, sessions kept alive forever, oversized input, guessing from many addresses,
//! floods, a wrong or rotated AUTH_SECRET, planted signing keys, tokens that are not valid
//! yet, cross-site form posts.
//!
//! Needs DATABASE_URL (scripts/with-postgres.sh) and the test virtualenv (mail sink, PyJWT).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::e2e::*;
use common::mail::*;
use common::*;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// Render `flags` into a copy of the empty fixture and build it; the binary is copied out so
/// the next build cannot replace it under a running process.
fn build(
    flags: &[&str],
    database: &str,
    lint_and_test: bool,
) -> (tempfile::TempDir, PathBuf, String) {
    let (tmp, repo) = copy_fixture("empty");
    let mut args = vec!["init", "--yes"];
    args.extend_from_slice(flags);
    let init = run(&args, &repo);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let url = create_database(database);
    let crate_dir = repo.join("auth-server");
    if lint_and_test {
        cargo(&crate_dir, &["fmt", "--check"], &url);
        cargo(
            &crate_dir,
            &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
            &url,
        );
        crate_tests(&crate_dir, database);
    }
    let binary = tmp.path().join(database);
    build_binary(&crate_dir, &url, &binary);
    (tmp, binary, url)
}

/// POST JSON with extra headers (no cookie jar).
fn post_with(url: &str, headers: &[(&str, &str)], body: Value) -> Reply {
    let mut request = ureq::post(url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    Reply::of(url, request.send_json(body))
}

fn get_with(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = ureq::get(url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    Reply::of(url, request.call())
}

fn sign_in_from(server: &Running, forwarded: &str, email: &str, password: &str) -> Reply {
    post_with(
        &server.url("/signin"),
        &[("X-Forwarded-For", forwarded)],
        json!({ "email": email, "password": password }),
    )
}

/// A random IPv4 address, as a spoofer would write into X-Forwarded-For.
fn random_ip(n: u32) -> String {
    let seed = std::process::id()
        .wrapping_mul(2_654_435_761)
        .wrapping_add(n * 40_503);
    format!(
        "{}.{}.{}.{}",
        11 + seed % 200,
        seed >> 8 & 255,
        seed >> 16 & 255,
        1 + (seed >> 24) % 250
    )
}

fn unique(name: &str) -> String {
    format!(
        "{name}-{}-{}@example.com",
        std::process::id(),
        random_secret()[..8].to_owned()
    )
}

fn sign_up(server: &Running, email: &str) -> Value {
    let (status, body) = post(
        &server.url("/signup"),
        json!({ "email": email, "password": PASSWORD, "name": "Victim" }),
    );
    assert_eq!(status, 201, "{body}");
    body
}

/// Run a Python snippet in the test virtualenv (PyJWT, cryptography) and return its stdout.
fn python_out(code: &str, args: &[&str]) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A server configuration with magic links and no email verification (a password sign-up is
/// signed in at once), EdDSA keys: the proxy, limiter, sign-out, session-cap, key and
/// pre-account-takeover attacks.
#[test]
fn attacks_on_a_magic_link_server() {
    let (_tmp, binary, url) = build(
        &["--methods", "email,magic-link"],
        "authgen_attack_magic",
        true,
    );
    let smtp = start_sink("smtp");
    let secret = random_secret();
    let env = vec![
        ("DATABASE_URL", url.clone()),
        ("AUTH_SECRET", secret.clone()),
        ("AUTH_AUDIENCE", "attack-api".to_owned()),
        ("CORS_ORIGINS", "http://app.attack".to_owned()),
        ("SMTP_URL", smtp.smtp_url()),
        ("RATE_LIMIT_EMAIL_PER_IP", "1000".to_owned()),
    ];
    spoofed_forwarding_never_resets_a_limit(&binary, &env, &url);
    oversized_emails_are_refused_and_not_stored(&binary, &env, &url);
    magic_link_takeover_of_a_pre_registered_account(&binary, &env, &smtp);
    sign_out_with_only_the_refresh_token(&binary, &env);
    sessions_end_at_their_absolute_cap(&binary, &env, &url);
    hashing_floods_get_503_not_a_queue(&binary, &env);
    unknown_key_ids_do_not_reach_the_database(&binary, &env, &url);
    // On a process of its own: whatever limits the fuzzer spends die with it.
    fuzz_openapi(&serve(&binary, &env), &url);
    // Rotates AUTH_SECRET: from here on `env` no longer opens the signing keys.
    signing_keys_survive_a_wrong_secret_and_planted_rows(&binary, &env, &url, &secret);
    production_refuses_what_is_unsafe(&binary, &url);
}

/// X-Forwarded-For is the client's word except for what the trusted proxy appended: a
/// fresh made-up address per attempt never resets the per-address limit, with or without
/// TRUST_PROXY, and garbage falls back to the TCP peer.
fn spoofed_forwarding_never_resets_a_limit(binary: &Path, env: &[(&str, String)], url: &str) {
    // Without TRUST_PROXY the header is ignored entirely.
    let server = serve(binary, env);
    let email = unique("spoof");
    sign_up(&server, &email);
    for n in 0..5 {
        let reply = sign_in_from(&server, &random_ip(n), &email, "wrong password");
        assert_eq!(reply.status, 401, "attempt {n}: {}", reply.text);
    }
    let reply = sign_in_from(&server, &random_ip(99), &email, "wrong password");
    assert_eq!(
        reply.status, 429,
        "a spoofed address resets nothing: {}",
        reply.text
    );
    let reply = sign_in_from(&server, "203.0.113.50", &email, PASSWORD);
    assert_eq!(reply.status, 429);
    let logged = psql(
        url,
        &format!(
            "SELECT count(*) FROM auth_logs WHERE email = '{email}' AND ip_address <> '127.0.0.1'"
        ),
    );
    assert_eq!(logged, "0", "auth_logs record the real peer only");
    drop(server);

    // Behind one trusted proxy: the rightmost entry is the client.
    let mut proxied = env.to_vec();
    proxied.push(("TRUST_PROXY", "true".to_owned()));
    let server = serve(binary, &proxied);
    let email = unique("proxied");
    sign_up(&server, &email);
    for n in 0..5 {
        let spoofed = format!("{}, 198.51.100.7", random_ip(n));
        let reply = sign_in_from(&server, &spoofed, &email, "wrong password");
        assert_eq!(reply.status, 401, "attempt {n}: {}", reply.text);
    }
    let spoofed = format!("{}, 198.51.100.7", random_ip(77));
    assert_eq!(sign_in_from(&server, &spoofed, &email, "wrong").status, 429);
    // Garbage in the proxy's place is no address: the peer counts, and keeps counting.
    let other = unique("garbage");
    sign_up(&server, &other);
    for (n, garbage) in [
        "not-an-ip",
        "6.6.6.6, unknown",
        "6.6.6.6,",
        "999.1.1.1",
        "1.2.3.4, 5.6.7.8 9",
    ]
    .iter()
    .enumerate()
    {
        let reply = sign_in_from(&server, garbage, &other, "wrong password");
        assert_eq!(reply.status, 401, "attempt {n} ({garbage}): {}", reply.text);
    }
    assert_eq!(
        sign_in_from(&server, "nonsense", &other, "wrong").status,
        429
    );
    // The session and the log record the proxy's address, not the spoofed part.
    let third = unique("recorded");
    sign_up(&server, &third);
    let reply = sign_in_from(&server, "6.6.6.6, 203.0.113.9", &third, PASSWORD);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let recorded = psql(
        url,
        &format!(
            "SELECT s.ip_address FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE u.email = '{third}' ORDER BY s.created_at DESC LIMIT 1"
        ),
    );
    assert_eq!(recorded, "203.0.113.9");
    let spoofed_rows = psql(
        url,
        "SELECT count(*) FROM auth_logs WHERE ip_address = '6.6.6.6'",
    );
    assert_eq!(spoofed_rows, "0");

    // One account guessed at from six addresses (two tries each, under the per-address
    // limit): the per-account lock holds, for every address, the right password included.
    let target = unique("account");
    sign_up(&server, &target);
    let mut statuses = Vec::new();
    for n in 0..6 {
        for _ in 0..2 {
            let from = format!("203.0.113.{}", 100 + n);
            statuses.push(sign_in_from(&server, &from, &target, "wrong password").status);
        }
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert_eq!(&statuses[10..], &[429, 429], "{statuses:?}");
    let locked = sign_in_from(&server, "192.0.2.200", &target, PASSWORD);
    assert_eq!(
        locked.status, 429,
        "the lock holds from a fresh address too"
    );
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");

    // IPv6: one subscriber's /64 is one address.
    let six = unique("ipv6");
    sign_up(&server, &six);
    for n in 1..=5 {
        let from = format!("2001:db8:7:9::{n:x}");
        assert_eq!(sign_in_from(&server, &from, &six, "wrong").status, 401);
    }
    let from = "2001:db8:7:9:ffff::1";
    assert_eq!(sign_in_from(&server, from, &six, "wrong").status, 429);
    drop(server);

    // Two proxies (TRUSTED_PROXY_HOPS=2): the second entry from the right is the client.
    let mut two = proxied.clone();
    two.push(("TRUSTED_PROXY_HOPS", "2".to_owned()));
    let server = serve(binary, &two);
    let email = unique("hops");
    sign_up(&server, &email);
    let reply = sign_in_from(
        &server,
        "6.6.6.6, 198.51.100.44, 10.0.0.1",
        &email,
        PASSWORD,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let recorded = psql(
        url,
        &format!(
            "SELECT s.ip_address FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE u.email = '{email}' ORDER BY s.created_at DESC LIMIT 1"
        ),
    );
    assert_eq!(recorded, "198.51.100.44");
}

/// A 60 KiB address never reaches the limiter, the database or the log.
fn oversized_emails_are_refused_and_not_stored(binary: &Path, env: &[(&str, String)], url: &str) {
    let server = serve(binary, env);
    let huge = format!("{}@example.com", "a".repeat(60 * 1024));
    for (path, body) in [
        ("/signin", json!({ "email": huge, "password": PASSWORD })),
        (
            "/signup",
            json!({ "email": huge, "password": PASSWORD, "name": "Huge" }),
        ),
        ("/sign-in/magic-link", json!({ "email": huge })),
        ("/request-password-reset", json!({ "email": huge })),
    ] {
        let reply = post_with(&server.url(path), &[], body);
        assert_eq!(
            (reply.status, reply.code()),
            (422, json!("INVALID_EMAIL")),
            "{path}"
        );
    }
    for table in ["auth_logs", "users", "verifications"] {
        let column = if table == "verifications" {
            "identifier"
        } else {
            "email"
        };
        let stored = psql(
            url,
            &format!("SELECT count(*) FROM {table} WHERE length({column}) > 254"),
        );
        assert_eq!(stored, "0", "{table}");
    }
}

/// An attacker registers the victim's address with a password of their own and keeps the
/// tokens. When the victim signs in by magic link, the attacker's password and sessions die;
/// a user who signed up in the same browser keeps the password.
fn magic_link_takeover_of_a_pre_registered_account(
    binary: &Path,
    env: &[(&str, String)],
    smtp: &Sink,
) {
    let server = serve(binary, env);
    let victim = unique("victim");
    let attacker = Browser::new(Some("http://app.attack"));
    let planted = attacker.post(
        &server.url("/signup"),
        json!({ "email": victim, "password": "attacker's password", "name": "Victim" }),
    );
    assert_eq!(planted.status, 201, "{}", planted.text);
    let attacker_tokens = planted.json();

    // The victim asks for a link in their own browser and follows it.
    let browser = Browser::new(Some(&server.origin()));
    let asked = browser.post(
        &server.url("/sign-in/magic-link"),
        json!({ "email": victim }),
    );
    assert_eq!(asked.status, 202);
    let link = link_in(&smtp.nth_mail_to(&victim, 1));
    // A mail scanner fetching the link burns nothing.
    for _ in 0..2 {
        let page = get_with(&link, &[]);
        assert_eq!(page.status, 200, "{}", page.text);
    }
    let page = browser.get(&link);
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(&victim),
        "the page names the account: {}",
        page.text
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    // A page on another site cannot post the token (login CSRF).
    let forged = post_with(
        &server.url("/magic-link/verify"),
        &[("Origin", "https://evil.example")],
        json!({ "token": token_of(&link) }),
    );
    assert_eq!(
        (forged.status, forged.code()),
        (403, json!("INVALID_ORIGIN"))
    );
    let signed_in = browser.submit(
        &server.url("/magic-link/verify"),
        &[("token", &token_of(&link))],
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(
        signed_in.header("location"),
        Some("http://app.attack?signed_in=true")
    );
    let access = browser.cookie("auth_access_token").expect("signed in");
    let (status, me) = get(&server.url("/me"), Some(&access));
    assert_eq!((status, me["email"].clone()), (200, json!(victim)));

    // Everything the attacker held is dead.
    let (status, body) = post(
        &server.url("/signin"),
        json!({ "email": victim, "password": "attacker's password" }),
    );
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("INVALID_CREDENTIALS"))
    );
    let (status, _) = post(
        &server.url("/refresh"),
        json!({ "refresh_token": attacker_tokens["refresh_token"] }),
    );
    assert_eq!(status, 401, "the attacker's refresh token is revoked");
    let (status, body) = get(&server.url("/me"), attacker_tokens["access_token"].as_str());
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("SESSION_REVOKED"))
    );

    // The owner who signed up with a password and later uses a magic link in the same browser
    // keeps the password: the sign-up's cookie proves it is the same person.
    let owner = unique("owner");
    let own = Browser::new(Some(&server.origin()));
    assert_eq!(
        own.post(
            &server.url("/signup"),
            json!({ "email": owner, "password": PASSWORD, "name": "Owner" })
        )
        .status,
        201
    );
    own.post(
        &server.url("/sign-in/magic-link"),
        json!({ "email": owner }),
    );
    let link = link_in(&smtp.nth_mail_to(&owner, 1));
    let redeemed = own.submit(
        &server.url("/magic-link/verify"),
        &[("token", &token_of(&link))],
    );
    assert_eq!(redeemed.status, 303);
    let (status, _) = post(
        &server.url("/signin"),
        json!({ "email": owner, "password": PASSWORD }),
    );
    assert_eq!(status, 200, "the owner's password stands");
}

/// After the access token is gone (15 idle minutes), "sign out" still ends the session:
/// the refresh token alone revokes its family; unknown tokens get the same 204.
fn sign_out_with_only_the_refresh_token(binary: &Path, env: &[(&str, String)]) {
    let server = serve(binary, env);
    // An API client with the refresh token in hand, and no access token.
    let created = sign_up(&server, &unique("api-client"));
    let refresh = created["refresh_token"].as_str().unwrap();
    let out = post_with(
        &server.url("/signout"),
        &[],
        json!({ "refresh_token": refresh }),
    );
    assert_eq!(out.status, 204, "{}", out.text);
    let (status, body) = post(&server.url("/refresh"), json!({ "refresh_token": refresh }));
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("SESSION_REVOKED"))
    );
    for token in [refresh, "never-issued"] {
        let again = post_with(
            &server.url("/signout"),
            &[],
            json!({ "refresh_token": token }),
        );
        assert_eq!(again.status, 204, "no oracle");
    }

    // A browser whose access cookie has expired: the refresh cookie reaches /signout.
    let browser = Browser::new(Some("http://app.attack"));
    let signed_up = browser.post(
        &server.url("/signup"),
        json!({ "email": unique("browser"), "password": PASSWORD, "name": "B" }),
    );
    assert_eq!(signed_up.status, 201);
    let refresh = browser.cookie("auth_refresh_token").unwrap();
    let paths: Vec<&str> = signed_up
        .set_cookies()
        .into_iter()
        .filter(|c| c.starts_with("auth_refresh_token="))
        .filter_map(|c| c.split("; ").find(|a| a.starts_with("Path=")))
        .collect();
    assert_eq!(paths, ["Path=/api/auth/refresh", "Path=/api/auth/signout"]);
    let only_refresh = format!("auth_refresh_token={refresh}");
    let out = post_with(
        &server.url("/signout"),
        &[("Cookie", &only_refresh), ("Origin", "http://app.attack")],
        json!({}),
    );
    assert_eq!(out.status, 204, "{}", out.text);
    let cleared = out.set_cookies();
    assert_eq!(cleared.len(), 3, "{cleared:?}");
    assert!(
        cleared.iter().all(|c| c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let (status, _) = post(&server.url("/refresh"), json!({ "refresh_token": refresh }));
    assert_eq!(status, 401, "the browser's session is revoked");

    // The refresh cookie alone, sent by a page on another site, is refused.
    let victim = Browser::new(Some("http://app.attack"));
    victim.post(
        &server.url("/signup"),
        json!({ "email": unique("csrf"), "password": PASSWORD, "name": "C" }),
    );
    let cookie = format!(
        "auth_refresh_token={}",
        victim.cookie("auth_refresh_token").unwrap()
    );
    let forced = post_with(
        &server.url("/signout"),
        &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        json!({}),
    );
    assert_eq!(
        (forced.status, forced.code()),
        (403, json!("INVALID_ORIGIN"))
    );
}

/// Rotation moves `expires_at`, but never past SESSION_MAX_DAYS from sign-in: a stolen
/// refresh token cannot keep a session alive forever.
fn sessions_end_at_their_absolute_cap(binary: &Path, env: &[(&str, String)], url: &str) {
    let server = serve(binary, env);
    let created = sign_up(&server, &unique("forever"));
    let session = psql(
        url,
        &format!(
            "SELECT id FROM sessions WHERE user_id = '{}'",
            created["user_id"].as_str().unwrap()
        ),
    );
    // 29 days in: the refresh works, and its successor expires at the 30-day cap.
    psql(
        url,
        &format!(
            "UPDATE sessions SET created_at = now() - interval '29 days' WHERE id = '{session}'"
        ),
    );
    let (status, rotated) = post(
        &server.url("/refresh"),
        json!({ "refresh_token": created["refresh_token"] }),
    );
    assert_eq!(status, 200, "{rotated}");
    let within = psql(
        url,
        &format!(
            "SELECT s.expires_at <= s.created_at + interval '30 days 1 second'
                AND (SELECT r.expires_at FROM refresh_tokens r WHERE r.session_id = s.id
                     ORDER BY r.created_at DESC LIMIT 1) = s.expires_at
             FROM sessions s WHERE s.id = '{session}'"
        ),
    );
    assert_eq!(within, "t", "no refresh token outlives the cap");
    // Past the cap: refused, however fresh the refresh token.
    psql(
        url,
        &format!(
            "UPDATE sessions SET created_at = now() - interval '31 days' WHERE id = '{session}'"
        ),
    );
    let (status, body) = post(
        &server.url("/refresh"),
        json!({ "refresh_token": rotated["refresh_token"] }),
    );
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("SESSION_EXPIRED"))
    );
}

/// More sign-ins at once than the cores can hash in a few seconds: the excess is answered
/// 503 with Retry-After at once instead of waiting in an unbounded queue.
fn hashing_floods_get_503_not_a_queue(binary: &Path, env: &[(&str, String)]) {
    let mut flood = env.to_vec();
    flood.push(("RATE_LIMIT_SIGN_IN", "100000".to_owned()));
    let server = serve(binary, &flood);
    let url = server.url("/signin");
    let handles: Vec<_> = (0..160)
        .map(|n| {
            let url = url.clone();
            std::thread::spawn(move || {
                let email = format!("flood-{n}@example.com");
                let reply = post_with(&url, &[], json!({ "email": email, "password": "guess" }));
                (reply.status, reply.header("retry-after").map(str::to_owned))
            })
        })
        .collect();
    let answers: Vec<(u16, Option<String>)> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(
        answers.iter().all(|(s, _)| *s == 401 || *s == 503),
        "{answers:?}"
    );
    assert!(
        !busy.is_empty(),
        "no 503 under a flood of {}",
        answers.len()
    );
    assert!(busy.iter().all(|(_, retry)| retry.as_deref() == Some("1")));
    assert_eq!(
        get(&server.url("/health"), None).0,
        200,
        "the server stays up"
    );
}

/// The active signing key cannot be decrypted (wrong AUTH_SECRET): the server refuses to
/// start and the jwks table is unchanged. AUTH_SECRET_PREVIOUS rotates it. A row planted by
/// someone with write access to the database is never trusted.
fn signing_keys_survive_a_wrong_secret_and_planted_rows(
    binary: &Path,
    env: &[(&str, String)],
    url: &str,
    secret: &str,
) {
    // One issuer across restarts, as in production (serve() would name each new port).
    let mut env = env.to_vec();
    env.push(("AUTH_ISSUER", "http://auth.attack".to_owned()));
    let env = &env[..];
    let server = serve(binary, env);
    let created = sign_up(&server, &unique("keys"));
    let token = created["access_token"].as_str().unwrap().to_owned();
    drop(server);
    let table = || {
        psql(
            url,
            "SELECT kid, md5(private_key), retired_at FROM jwks ORDER BY kid",
        )
    };
    let before = table();

    let wrong = random_secret();
    let with_secret = |value: &str, previous: Option<&str>| {
        let mut env: Vec<(&str, String)> = env
            .iter()
            .filter(|(k, _)| *k != "AUTH_SECRET")
            .cloned()
            .collect();
        env.push(("AUTH_SECRET", value.to_owned()));
        if let Some(previous) = previous {
            env.push(("AUTH_SECRET_PREVIOUS", previous.to_owned()));
        }
        env
    };
    let mut command = Command::new(binary);
    command.env_clear().env("PORT", free_port().to_string());
    for (key, value) in with_secret(&wrong, None) {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started with a wrong AUTH_SECRET");
    assert!(
        stderr.contains("stored under another AUTH_SECRET")
            && stderr.contains("AUTH_SECRET_PREVIOUS"),
        "{stderr}"
    );
    assert!(!stderr.contains(&wrong), "the secret is never echoed");
    assert_eq!(table(), before, "the jwks table is unchanged");

    // Rotation: the new secret, with the old one as AUTH_SECRET_PREVIOUS. The same key keeps
    // signing (re-encrypted), and tokens issued before still verify.
    let server = serve(binary, &with_secret(&wrong, Some(secret)));
    let (status, body) = get(&server.url("/me"), Some(&token));
    assert_eq!(status, 200, "{body}\n{}", server.log());
    let after = table();
    let kids = |t: &str| {
        t.lines()
            .map(|l| l.split('|').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(kids(&after), kids(&before), "the same key, not a new one");
    assert_ne!(after, before, "re-encrypted under the new secret");
    drop(server);
    let rotated = with_secret(&wrong, None);

    // A planted row: the attacker's own Ed25519 key, newest and active, and a token it signs.
    let forged = python_out(
        "import base64, json, sys, time, uuid, jwt\n\
         from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey\n\
         from cryptography.hazmat.primitives import serialization\n\
         key = Ed25519PrivateKey.generate()\n\
         raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)\n\
         x = base64.urlsafe_b64encode(raw).rstrip(b'=').decode()\n\
         claims = json.loads(base64.urlsafe_b64decode(sys.argv[1].split('.')[1] + '=='))\n\
         claims.update(role='admin', jti=str(uuid.uuid4()), exp=int(time.time()) + 600)\n\
         print(x, jwt.encode(claims, key, algorithm='EdDSA', headers={'kid': 'planted', 'typ': 'at+jwt'}))",
        &[&token],
    );
    let (public, forged_token) = forged.split_once(' ').unwrap();
    psql(
        url,
        &format!(
            "INSERT INTO jwks (kid, algorithm, public_key, private_key, created_at)
             VALUES ('planted', 'EdDSA', '{public}', decode('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex'), now() + interval '1 minute')"
        ),
    );
    let server = serve(binary, &rotated);
    let (status, jwks) = get(&server.url("/jwks"), None);
    assert_eq!(status, 200);
    let published: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(!published.contains(&"planted"), "{jwks}");
    let (status, body) = get(&server.url("/me"), Some(forged_token));
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("INVALID_TOKEN"))
    );
    let fresh = sign_up(&server, &unique("after-plant"));
    let header = python_out(
        "import jwt, sys; print(jwt.get_unverified_header(sys.argv[1])['kid'])",
        &[fresh["access_token"].as_str().unwrap()],
    );
    assert_ne!(
        header, "planted",
        "the server never signs with a planted key"
    );
    assert!(
        server
            .log()
            .contains("ignoring a jwks row not written with this AUTH_SECRET")
    );
}

/// A token naming a key the server does not know makes it re-read the keys (another replica
/// may have rotated) — at most once per backoff period, so a flood of made-up `kid`s costs the
/// database nothing. Counted as transactions in the server's database, after PostgreSQL has
/// flushed every backend's statistics (an idle backend does within 10 s).
fn unknown_key_ids_do_not_reach_the_database(binary: &Path, env: &[(&str, String)], url: &str) {
    let server = serve(binary, env);
    let email = unique("kid-flood");
    let access = sign_up(&server, &email)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let transactions = || {
        std::thread::sleep(Duration::from_secs(11));
        let count = psql(
            url,
            "SELECT xact_commit + xact_rollback FROM pg_stat_database \
             WHERE datname = current_database()",
        );
        count.parse::<i64>().unwrap()
    };
    let before = transactions();
    let forged = python_out(
        "import base64, json\n\
         b = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b'=').decode()\n\
         for n in range(200):\n\
         \x20   head = {'alg': 'EdDSA', 'typ': 'at+jwt', 'kid': f'made-up-{n}'}\n\
         \x20   print(b(head) + '.' + b({'sub': 'x'}) + '.' + 'A' * 86)",
        &[],
    );
    let forged: Vec<&str> = forged.lines().collect();
    assert_eq!(forged.len(), 200);
    for token in &forged {
        assert_eq!(get(&server.url("/me"), Some(token)).0, 401);
    }
    let after = transactions();
    // Without the backoff: at least one key read per token (200). With it: one per 5 s, the
    // periodic refresh (every 30 s) and psql's own.
    assert!(
        after - before < 20,
        "200 unknown kids cost {} transactions",
        after - before
    );
    assert_eq!(get(&server.url("/me"), Some(&access)).0, 200);
}

/// Production refuses to start on what would be unsafe there, one line each.
fn production_refuses_what_is_unsafe(binary: &Path, url: &str) {
    let start = |vars: &[(&str, &str)]| {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("APP_ENV", "production")
            .env("DATABASE_URL", url)
            .env("AUTH_SECRET", random_secret())
            .env("AUTH_ISSUER", "https://auth.attack.test")
            .env("EMAIL_FROM", "Auth <auth@attack.test>");
        for (key, value) in vars {
            command.env(key, value);
        }
        let output = command.output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    for (vars, problem) in [
        (
            [
                ("CORS_ORIGINS", "https://your-frontend.invalid"),
                ("SMTP_URL", "smtps://u:p@mail.attack.test:465"),
            ],
            "CORS_ORIGINS still holds the placeholder https://your-frontend.invalid: set CORS_ORIGINS",
        ),
        (
            [
                ("CORS_ORIGINS", "http://localhost:3000"),
                ("SMTP_URL", "smtps://u:p@mail.attack.test:465"),
            ],
            "every origin in CORS_ORIGINS must be https://",
        ),
        (
            [
                ("CORS_ORIGINS", "https://app.attack.test"),
                ("SMTP_URL", "smtp://u:p@mail.attack.test:587"),
            ],
            "APP_ENV=production with a plain smtp:// SMTP_URL",
        ),
    ] {
        let (code, stderr) = start(&vars);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(problem), "{problem:?} not in:\n{stderr}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "one line for one problem:\n{stderr}"
        );
        assert!(!stderr.contains("u:p@"), "credentials are never echoed");
    }

    // The cookies production sets: __Host- for the access token, __Secure- for the refresh.
    // (On a database of its own: this server's AUTH_SECRET is a new one.)
    let url = &create_database("authgen_attack_production");
    let port = free_port();
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("APP_ENV", "production")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", url)
        .env("AUTH_SECRET", random_secret())
        .env("AUTH_ISSUER", "https://auth.attack.test")
        .env("EMAIL_FROM", "Auth <auth@attack.test>")
        .env("CORS_ORIGINS", "https://app.attack.test")
        .env("SMTP_URL", "smtp://u:p@mail.attack.test:587?tls=required");
    let (_server, _log) =
        spawn_until_healthy(command, &format!("http://127.0.0.1:{port}/api/auth/health"));
    let created = post_with(
        &format!("http://127.0.0.1:{port}/api/auth/signup"),
        &[],
        json!({ "email": unique("prod"), "password": PASSWORD, "name": "P" }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let cookies = created.set_cookies();
    let access = cookies
        .iter()
        .find(|c| c.starts_with("__Host-auth_access_token="))
        .unwrap_or_else(|| panic!("{cookies:?}"));
    for attribute in ["Secure", "HttpOnly", "Path=/;", "SameSite=Lax"] {
        assert!(access.contains(attribute), "{attribute}: {access}");
    }
    assert!(!access.contains("Domain"), "{access}");
    assert!(
        cookies
            .iter()
            .filter(|c| c.starts_with("__Secure-auth_refresh_token="))
            .all(|c| c.contains("Secure")),
        "{cookies:?}"
    );
    assert_eq!(
        cookies
            .iter()
            .filter(|c| c.starts_with("__Secure-auth_refresh_token="))
            .count(),
        2
    );
}

/// HS256 with required email verification: the verification-link takeover, the sign-up
/// oracle, and tokens that are not access tokens or not valid yet.
#[test]
fn attacks_on_a_verified_hs256_server() {
    let (_tmp, binary, url) = build(
        &["--algorithm", "hs256", "--email-verification", "required"],
        "authgen_attack_hs256",
        false,
    );
    let smtp = start_sink("smtp");
    let secret = random_secret();
    let env = vec![
        ("DATABASE_URL", url.clone()),
        ("AUTH_SECRET", secret.clone()),
        ("AUTH_AUDIENCE", "attack-api".to_owned()),
        ("CORS_ORIGINS", "http://app.attack".to_owned()),
        ("SMTP_URL", smtp.smtp_url()),
        ("RATE_LIMIT_EMAIL_PER_IP", "1000".to_owned()),
    ];
    let server = serve(&binary, &env);

    // The attacker registers the victim's address; the victim follows the verification mail
    // in their own browser. The attacker's password no longer opens the account.
    let victim = unique("verify-victim");
    let attacker = Browser::new(Some("http://app.attack"));
    let planted = attacker.post(
        &server.url("/signup"),
        json!({ "email": victim, "password": "attacker's password", "name": "Victim" }),
    );
    assert_eq!(planted.status, 201);
    let link = link_in(&smtp.nth_mail_to(&victim, 1));
    let browser = Browser::new(Some(&server.origin()));
    let page = browser.get(&link);
    assert_eq!(page.status, 200);
    let verified = browser.submit(&server.url("/verify-email"), &[("token", &token_of(&link))]);
    assert_eq!(verified.status, 303, "{}", verified.text);
    assert_eq!(
        verified.header("location"),
        Some("http://app.attack?email_verified=true")
    );
    let (status, body) = post(
        &server.url("/signin"),
        json!({ "email": victim, "password": "attacker's password" }),
    );
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("INVALID_CREDENTIALS"))
    );
    let cleared = psql(
        &url,
        &format!(
            "SELECT password_hash IS NULL AND email_verified FROM users WHERE email = '{victim}'"
        ),
    );
    assert_eq!(cleared, "t");

    // Normal sign-up → verify in the same browser keeps the password.
    let owner = unique("verify-owner");
    let own = Browser::new(Some(&server.origin()));
    own.post(
        &server.url("/signup"),
        json!({ "email": owner, "password": PASSWORD, "name": "Owner" }),
    );
    let link = link_in(&smtp.nth_mail_to(&owner, 1));
    assert_eq!(
        own.submit(&server.url("/verify-email"), &[("token", &token_of(&link))])
            .status,
        303
    );
    let (status, signed_in) = post(
        &server.url("/signin"),
        json!({ "email": owner, "password": PASSWORD }),
    );
    assert_eq!(status, 200, "{signed_in}");

    // Sign-up tells no one which addresses have accounts: the same status and shape.
    let taken = post_with(
        &server.url("/signup"),
        &[],
        json!({ "email": owner, "password": "another password", "name": "Owner" }),
    );
    let fresh = post_with(
        &server.url("/signup"),
        &[],
        json!({ "email": unique("fresh"), "password": "another password", "name": "Owner" }),
    );
    assert_eq!(taken.status, fresh.status);
    let shape = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(shape(&taken.json()), shape(&fresh.json()));
    assert_ne!(taken.json()["user_id"], signed_in["user"]["id"]);

    // Tokens signed with the server's own key that it must still refuse: a plain JWT (no
    // `typ: at+jwt`) and one that is not valid for another hour.
    let key = String::from_utf8(
        Command::new(&binary)
            .arg("verifier-key")
            .env_clear()
            .envs(env.iter().cloned())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let key = key.trim();
    assert_eq!(key.len(), 64, "a hex key");
    assert!(!key.contains(&secret) && !secret.contains(key));
    let access = signed_in["access_token"].as_str().unwrap();
    assert_eq!(get(&server.url("/me"), Some(access)).0, 200);
    for (name, header, nbf) in [
        ("typ JWT", "{'typ': 'JWT'}", 0),
        ("nbf in an hour", "{'typ': 'at+jwt'}", 3600),
        ("control", "{'typ': 'at+jwt'}", -60),
    ] {
        let token = python_out(
            &format!(
                "import base64, json, sys, time, jwt\n\
                 claims = json.loads(base64.urlsafe_b64decode(sys.argv[1].split('.')[1] + '=='))\n\
                 claims['nbf'] = int(time.time()) + {nbf}\n\
                 print(jwt.encode(claims, sys.argv[2], algorithm='HS256', headers={header}))"
            ),
            &[access, key],
        );
        let (status, body) = get(&server.url("/me"), Some(&token));
        let expected = if name == "control" { 200 } else { 401 };
        assert_eq!(status, expected, "{name}: {body}");
    }
    drop(server);

    fuzz_openapi(&serve(&binary, &env), &url);
}
