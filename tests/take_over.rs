//! Taking over a Better Auth deployment, for real: the reference Better Auth 1.7 server of
//! the compatibility harness runs on PostgreSQL and gets its users through its own API (and a
//! browser signed in, and a JWT from its `/token`), then `authgen init` takes over that
//! database, `import-better-auth` copies the rows, and the generated server starts on the
//! old server's address in its place. Every old user signs in with the old password, the
//! browser stays signed in, the old JWT still verifies, Google sign-in finds the same user.
//!
//! Needs DATABASE_URL pointing at a PostgreSQL server where databases can be created
//! (`scripts/with-postgres.sh`), node and npm.

mod common;

use std::path::Path;
use std::process::Command;

use common::better_auth::*;
use common::e2e::*;
use common::fake_provider::*;
use common::*;
use serde_json::{Value, json};

const APP_ORIGIN: &str = "http://localhost:3000";
const PASSWORDS: [(&str, &str); 3] = [
    ("alice", "alice's old password"),
    ("bob", "bob's old password"),
    ("carol", "carol's old password"),
];

fn email(who: &str) -> String {
    format!("{who}@take-over.test")
}

/// The reference Better Auth server (jwt plugin, email and password) on `port`.
fn better_auth_server(database: &str, port: u16, secret: &str) -> Process {
    let origin = format!("http://127.0.0.1:{port}");
    let mut command = node(&["reference/server.mjs"]);
    command
        .env("COMPAT_CONFIG", "basic")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database)
        .env("BETTER_AUTH_SECRET", secret)
        .env("BETTER_AUTH_URL", &origin)
        .env("TRUSTED_ORIGINS", APP_ORIGIN);
    spawn_until_healthy(command, &format!("{origin}/api/auth/ok")).0
}

/// `import-better-auth` (with `--dry-run` when asked): the count per kind it printed.
fn import(binary: &Path, env: &[(&str, String)], dry_run: bool) -> Vec<(String, i64, i64)> {
    let mut command = Command::new(binary);
    command.env_clear().envs(env.iter().map(|(k, v)| (*k, v)));
    command.arg("import-better-auth");
    if dry_run {
        command.arg("--dry-run");
    }
    let text = stdout_of(command.output().unwrap(), "import-better-auth");
    // `<kind>  <found> in Better Auth, imported <n>`
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" in Better Auth, ")?;
            let (kind, found) = left.trim_end().rsplit_once(' ')?;
            let imported = right.split_whitespace().last()?;
            Some((
                kind.trim().to_owned(),
                found.parse().ok()?,
                imported.parse().ok()?,
            ))
        })
        .collect()
}

/// `import-better-auth` that must fail: its standard error.
fn import_refused(binary: &Path, env: &[(&str, String)]) -> String {
    let output = Command::new(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .arg("import-better-auth")
        .output()
        .unwrap();
    assert!(!output.status.success(), "the import went through");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Row counts of every table either server keeps users in.
fn row_counts(database: &str) -> String {
    psql(
        database,
        "SELECT (SELECT count(*) FROM \"user\") || ' ' || (SELECT count(*) FROM account) || ' ' ||
                (SELECT count(*) FROM session) || ' ' || (SELECT count(*) FROM jwks) || ' | ' ||
                (SELECT count(*) FROM users) || ' ' || (SELECT count(*) FROM accounts) || ' ' ||
                (SELECT count(*) FROM sessions) || ' ' || (SELECT count(*) FROM signing_keys)",
    )
}

/// The generated FastAPI verifier, checking `token` against the server's `/jwks`.
fn fastapi_verify(api_dir: &Path, issuer: &str, token: &str) -> String {
    let script = r#"
import sys
from app.auth.jwks import JwksCache
from app.auth.settings import AuthSettings
from app.auth.verifier import TokenVerifier

issuer, token = sys.argv[1], sys.argv[2]
settings = AuthSettings(
    issuer=issuer, audience=issuer, jwks_url=issuer + "/api/auth/jwks",
    trusted_origins="http://localhost:3000",
)
print(TokenVerifier(settings, JwksCache(settings.jwks_url)).verify(token).id)
"#;
    let output = Command::new(python())
        .args(["-c", script, issuer, token])
        .current_dir(api_dir)
        .env("PYTHONPATH", api_dir)
        .output()
        .unwrap();
    stdout_of(output, "the FastAPI verifier").trim().to_owned()
}

#[test]
fn a_better_auth_deployment_is_taken_over_with_nobody_noticing() {
    install_npm_packages();
    let database = create_database("authgen_e2e_take_over");
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let base = format!("{origin}/api/auth");
    let old_secret = random_secret();

    // Before: Better Auth has three users, a signed-in browser and a JWT it issued.
    let old_server = better_auth_server(&database, port, &old_secret);
    let mut ids = Vec::new();
    for (n, (who, password)) in PASSWORDS.into_iter().enumerate() {
        let browser = Browser::at(Some(APP_ORIGIN), &format!("198.51.100.{n}"));
        let reply = browser.post(
            &format!("{base}/sign-up/email"),
            json!({ "name": who, "email": email(who), "password": password }),
        );
        assert_eq!(reply.status, 200, "{}", reply.text);
        ids.push(reply.json()["user"]["id"].as_str().unwrap().to_owned());
    }
    let kept = Browser::at(Some(APP_ORIGIN), "198.51.100.10");
    let reply = kept.post(
        &format!("{base}/sign-in/email"),
        json!({ "email": email("alice"), "password": PASSWORDS[0].1 }),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kept.get(&format!("{base}/token"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let old_jwt = reply.json()["token"].as_str().unwrap().to_owned();
    // Bob signed in with Google once (Better Auth's own callback needs Google itself, so the
    // row it writes is written here): his account is linked and his address verified.
    psql(
        &database,
        &format!(
            "INSERT INTO account (id, \"accountId\", \"providerId\", \"userId\", \"createdAt\", \"updatedAt\")
             VALUES ('acc-bob-google', 'google-sub-bob', 'google', '{}', now(), now());
             UPDATE \"user\" SET \"emailVerified\" = true WHERE id = '{}'",
            ids[1], ids[1]
        ),
    );
    // Carol's address stays unverified (no verification is required here).

    // authgen init in the repository of that server, taking it over.
    let (tmp, repo) = copy_fixture("better-auth-express");
    let init = run(&["init", "--yes"], &repo);
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let configured = |key: &str| {
        init.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    // Discovery read the methods and origins off `betterAuth({...})`.
    assert_eq!(
        configured("take over"),
        "take over better-auth (the server in server/) discovered"
    );
    assert_eq!(configured("methods  "), "methods email, google discovered");
    let binary = tmp.path().join("take-over-server");
    build_binary(&repo.join("auth-server"), &database, &binary);

    let provider = FakeProvider::start();
    let env: Vec<(&str, String)> = vec![
        ("DATABASE_URL", database.clone()),
        ("AUTH_SECRET", random_secret()),
        ("AUTH_SECRET_PREVIOUS", old_secret.clone()),
        ("AUTH_ISSUER", origin.clone()),
        ("AUTH_AUDIENCE", origin.clone()),
        ("CORS_ORIGINS", APP_ORIGIN.to_owned()),
        // The test is the proxy: X-Forwarded-For is the client address.
        ("TRUST_PROXY", "true".to_owned()),
        ("GOOGLE_CLIENT_ID", GOOGLE_CLIENT.0.to_owned()),
        ("GOOGLE_CLIENT_SECRET", GOOGLE_CLIENT.1.to_owned()),
        (
            "GOOGLE_AUTHORIZE_URL",
            format!("{}/google/authorize", provider.base),
        ),
        (
            "GOOGLE_TOKEN_URL",
            format!("{}/google/token", provider.base),
        ),
        (
            "GOOGLE_USERINFO_URL",
            format!("{}/google/userinfo", provider.base),
        ),
    ];

    // A dry run counts and writes nothing.
    let dry = import(&binary, &env, true);
    let found = |counts: &[(String, i64, i64)], kind: &str| {
        counts
            .iter()
            .find(|(k, _, _)| k == kind)
            .map(|(_, found, imported)| (*found, *imported))
            .unwrap_or_else(|| panic!("no {kind} in {counts:?}"))
    };
    assert_eq!(found(&dry, "users"), (3, 3), "{dry:?}");
    assert_eq!(found(&dry, "oauth accounts"), (1, 1), "{dry:?}");
    assert_eq!(found(&dry, "sessions"), (4, 4), "{dry:?}");
    assert_eq!(found(&dry, "signing keys"), (1, 1), "{dry:?}");
    assert_eq!(psql(&database, "SELECT count(*) FROM users"), "0");

    // Without Better Auth's secret its keys do not open: the import stops, and writes
    // nothing (one transaction).
    let without_old_secret: Vec<(&str, String)> = env
        .iter()
        .filter(|(k, _)| *k != "AUTH_SECRET_PREVIOUS")
        .cloned()
        .collect();
    let stderr = import_refused(&binary, &without_old_secret);
    assert!(
        stderr.contains("does not open with AUTH_SECRET or AUTH_SECRET_PREVIOUS"),
        "{stderr}"
    );
    assert!(!stderr.contains(&old_secret));
    assert_eq!(psql(&database, "SELECT count(*) FROM users"), "0");
    // A database without Better Auth's tables: a clear error, nothing created there but
    // the server's own schema.
    let elsewhere = create_database("authgen_e2e_take_over_elsewhere");
    let mut wrong_database = env.clone();
    wrong_database[0].1 = elsewhere.clone();
    let stderr = import_refused(&binary, &wrong_database);
    assert!(
        stderr.contains("Better Auth's table \"user\" is not in this database"),
        "{stderr}"
    );

    let imported = import(&binary, &env, false);
    assert_eq!(imported, dry, "the import did what the dry run said");
    let before = row_counts(&database);
    assert_eq!(before, "3 4 4 1 | 3 1 4 1", "Better Auth's rows, then ours");
    let again = import(&binary, &env, false);
    assert!(
        again.iter().all(|(_, _, imported)| *imported == 0),
        "a second import copies nothing: {again:?}"
    );
    assert_eq!(row_counts(&database), before);
    assert_eq!(
        psql(
            &database,
            "SELECT string_agg(id, ',' ORDER BY \"createdAt\") FROM \"user\""
        ),
        psql(
            &database,
            "SELECT string_agg(id, ',' ORDER BY created_at) FROM users"
        ),
        "ids are kept"
    );

    // The switch: the old server stops, the generated one starts on its address.
    drop(old_server);
    provider.register("google", format!("{base}/callback/google"));
    let mut command = Command::new(&binary);
    command
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .env("PORT", port.to_string());
    let (_server, log) = spawn_until_healthy(command, &format!("{base}/health"));

    // The browser signed in before the switch is still signed in, as the same user.
    let session = kept.get(&format!("{base}/get-session"));
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(
        session.json()["user"]["id"],
        ids[0].as_str(),
        "{}",
        session.text
    );

    // A cookie for the same session signed with any other secret is nobody's.
    let cookie = kept
        .cookie("better-auth.session_token")
        .expect("the kept cookie");
    let decoded: String = url::form_urlencoded::parse(format!("v={cookie}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .collect();
    let token = decoded
        .rsplit_once('.')
        .map(|(token, _)| token.to_owned())
        .unwrap();
    let forged = format!(
        "{token}.{}",
        base64(&hmac_sha256(random_secret().as_bytes(), &token))
    );
    let (status, body) = answer(
        &format!("{base}/get-session"),
        ureq::get(&format!("{base}/get-session"))
            .set(
                "Cookie",
                &format!(
                    "better-auth.session_token={}",
                    url::form_urlencoded::byte_serialize(forged.as_bytes()).collect::<String>()
                ),
            )
            .call(),
    );
    assert_eq!(
        (status, body),
        (200, Value::Null),
        "a forged cookie is no session"
    );

    // The JWT Better Auth issued verifies against the new /jwks, in the generated verifier.
    let header: Value =
        serde_json::from_slice(&base64url_decode(old_jwt.split('.').next().unwrap())).unwrap();
    let kid = header["kid"].clone();
    let (status, jwks) = get(&format!("{base}/jwks"), None);
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().unwrap();
    let imported = keys.iter().find(|k| k["kid"] == kid);
    assert_eq!(
        imported.map(|k| k["origin"].clone()),
        Some(json!("better-auth")),
        "{kid}, marked as Better Auth's, in {jwks}"
    );
    assert!(
        keys.iter()
            .any(|k| k["kid"] != kid && k.get("origin").is_none()),
        "the server's own key, unmarked, in {jwks}"
    );
    assert_eq!(fastapi_verify(&repo.join("api"), &origin, &old_jwt), ids[0]);

    // Every old user signs in with the old password; the hash becomes argon2id.
    for (n, ((who, password), id)) in PASSWORDS.iter().zip(&ids).enumerate() {
        for attempt in ["first", "second"] {
            let browser = Browser::at(Some(APP_ORIGIN), &format!("198.51.100.{}", 20 + n));
            let reply = browser.post(
                &format!("{base}/sign-in/email"),
                json!({ "email": email(who), "password": password }),
            );
            assert_eq!(
                reply.status, 200,
                "{who}, {attempt} sign-in: {}",
                reply.text
            );
            assert_eq!(reply.json()["user"]["id"], id.as_str());
        }
        let hash = psql(
            &database,
            &format!("SELECT password_hash FROM users WHERE id = '{id}'"),
        );
        assert!(hash.starts_with("$argon2id$"), "{who}: {hash}");
        let wrong = Browser::at(Some(APP_ORIGIN), &format!("198.51.100.{}", 30 + n)).post(
            &format!("{base}/sign-in/email"),
            json!({ "email": email(who), "password": "not the password" }),
        );
        assert_eq!(wrong.status, 401, "{}", wrong.text);
    }
    assert_eq!(
        psql(
            &database,
            &format!("SELECT email_verified FROM users WHERE id = '{}'", ids[2])
        ),
        "f",
        "carol's address is still unverified"
    );

    // Bob signs in with Google and lands on his own account.
    provider.signs_in_as("google", account("google-sub-bob", &email("bob"), true));
    let google = Browser::at(Some(APP_ORIGIN), "198.51.100.40");
    let reply = google.post(
        &format!("{base}/sign-in/social"),
        json!({ "provider": "google", "callbackURL": format!("{APP_ORIGIN}/home") }),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let at_provider = google.get(reply.json()["url"].as_str().unwrap());
    assert_eq!(at_provider.status, 302, "{}", at_provider.text);
    let callback = google.get(at_provider.header("location").unwrap());
    assert_eq!(callback.status, 302, "{}", callback.text);
    let session = google.get(&format!("{base}/get-session"));
    assert_eq!(
        session.json()["user"]["id"],
        ids[1].as_str(),
        "{}",
        session.text
    );
    assert!(provider.refusals().is_empty(), "{:?}", provider.refusals());

    // Signing out ends the session that began on Better Auth.
    let reply = kept.post(&format!("{base}/sign-out"), json!({}));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let after = kept.get(&format!("{base}/get-session"));
    assert_eq!(after.json(), Value::Null, "{}", after.text);
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !log_text.contains(&old_secret),
        "the old secret is never logged"
    );
    assert!(!log_text.contains(PASSWORDS[0].1));
}
