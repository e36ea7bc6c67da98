//! Google and GitHub sign-in in the generated server, for real: a configuration with every
//! method on is rendered, held to rustfmt, clippy -D warnings and its own tests, then run
//! against PostgreSQL and a fake OAuth provider started here — one that checks the client's
//! credentials, the exact redirect URI and the PKCE verifier, and issues single-use codes.
//!
//! Needs DATABASE_URL pointing at a PostgreSQL server where databases can be created;
//! `scripts/with-postgres.sh` provides one.

mod common;

use std::path::Path;
use std::process::Command;

use common::e2e::*;
use common::fake_provider::*;
use common::*;
use serde_json::{Value, json};
use url::Url;

const PASSWORD: &str = "correct horse battery";

// ---------------------------------------------------------------------------------------------
// A browser, reduced to what the flow needs: no redirects followed, cookies by hand.

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

struct Answer {
    status: u16,
    location: Option<String>,
    cookies: Vec<String>,
    body: Value,
}

impl Answer {
    /// The value a `Set-Cookie` gives `name` (empty when it clears it).
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            let pair = c.split(';').next()?;
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.to_owned())
        })
    }

    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

fn browse(url: &str, cookie: Option<&str>) -> Answer {
    let mut request = agent().get(url);
    if let Some(cookie) = cookie {
        request = request.set("Cookie", cookie);
    }
    let response = match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(err) => panic!("{url}: {err}"),
    };
    let status = response.status();
    let location = response.header("location").map(str::to_owned);
    let cookies = response
        .all("set-cookie")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let body = response.into_json().unwrap_or(Value::Null);
    Answer {
        status,
        location,
        cookies,
        body,
    }
}

struct Server {
    _repo: Option<tempfile::TempDir>,
    /// What started it, to start it again with other settings.
    binary: std::path::PathBuf,
    env: Vec<(&'static str, String)>,
    base: String,
    database: String,
    log: std::path::PathBuf,
    _process: Process,
}

/// A started sign-in: the state cookie the browser now holds, and where it was sent.
struct Started {
    state_cookie: String,
    /// The provider's authorization URL the browser was sent to.
    authorize: Url,
}

impl Server {
    fn start(&self, provider: &str, redirect_to: &str) -> Started {
        let answer = browse(
            &format!(
                "{}/oauth/{provider}/start?redirect_to={redirect_to}",
                self.base
            ),
            None,
        );
        assert_eq!(answer.status, 303, "{}", answer.body);
        let value = answer.cookie("auth_oauth_state").expect("a state cookie");
        let set = answer
            .cookies
            .iter()
            .find(|c| c.starts_with("auth_oauth_state="))
            .unwrap();
        for attribute in ["HttpOnly", "SameSite=Lax", "Max-Age=600"] {
            assert!(set.contains(attribute), "{attribute} missing: {set}");
        }
        Started {
            state_cookie: format!("auth_oauth_state={value}"),
            authorize: Url::parse(&answer.location.unwrap()).unwrap(),
        }
    }

    /// Start, pass the provider's login, and return (callback URL, state cookie).
    fn through_provider(&self, provider: &str) -> (String, String) {
        let started = self.start(provider, "/after");
        let at_provider = browse(started.authorize.as_str(), None);
        assert_eq!(
            at_provider.status, 302,
            "the fake provider accepted the request"
        );
        (at_provider.location.unwrap(), started.state_cookie)
    }

    /// A whole sign-in; returns the callback's answer.
    fn sign_in_with(&self, provider: &str) -> Answer {
        let (callback, cookie) = self.through_provider(provider);
        browse(&callback, Some(&cookie))
    }

    fn me(&self, answer: &Answer) -> Value {
        let access = answer
            .cookie("auth_access_token")
            .expect("an access cookie");
        let (status, me) = get(&format!("{}/me", self.base), Some(&access));
        assert_eq!(status, 200, "{me}");
        me
    }

    fn sql(&self, query: &str) -> String {
        psql(&self.database, query)
    }

    fn sign_up(&self, email: &str) -> String {
        let (status, body) = post(
            &format!("{}/signup", self.base),
            json!({ "email": email, "password": PASSWORD, "name": "Password User" }),
        );
        assert_eq!(status, 201, "{body}");
        body["user"]["id"].as_str().unwrap().to_owned()
    }

    fn password_sign_in(&self, email: &str) -> u16 {
        post(
            &format!("{}/signin", self.base),
            json!({ "email": email, "password": PASSWORD }),
        )
        .0
    }
}

/// A refused callback: the given code, and no session.
fn assert_refused(answer: &Answer, status: u16, code: &str) {
    assert_eq!(
        (answer.status, answer.code()),
        (status, code),
        "{}",
        answer.body
    );
    assert!(
        answer.cookie("auth_access_token").is_none()
            && answer.cookie("auth_refresh_token").is_none(),
        "no session on a refused callback: {:?}",
        answer.cookies
    );
    assert_eq!(
        answer.cookie("auth_oauth_state").as_deref(),
        Some(""),
        "the state cookie is cleared: {:?}",
        answer.cookies
    );
}

fn signed_in(answer: &Answer) {
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.location.as_deref(), Some("http://app.e2e/after"));
    assert_eq!(
        answer.cookie("auth_oauth_state").as_deref(),
        Some(""),
        "the state cookie is used up"
    );
    assert!(answer.cookie("auth_refresh_token").is_some());
}

/// Which API's callback URLs the provider has registered.
#[derive(Clone, Copy, PartialEq)]
enum Face {
    /// The token API's `/oauth/{provider}/callback`.
    Token,
    /// Better Auth's `/callback/{provider}` (the server has both faces).
    BetterAuth,
}

fn render_build_and_start(provider: &FakeProvider, face: Face) -> Server {
    let (tmp, repo) = copy_fixture("empty");
    let faces = match face {
        Face::Token => "token",
        Face::BetterAuth => "token,better-auth",
    };
    let init = run(
        &[
            "init",
            "--yes",
            "--methods",
            "email,google,github,magic-link",
            "--email-verification",
            "required",
            "--faces",
            faces,
        ],
        &repo,
    );
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let crate_dir = repo.join("auth-server");
    let name = match face {
        Face::Token => "authgen_e2e_oauth",
        Face::BetterAuth => "authgen_e2e_oauth_better_auth",
    };
    let database = create_database(name);
    cargo(&crate_dir, &["fmt", "--check"], &database);
    cargo(
        &crate_dir,
        &["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"],
        &database,
    );
    crate_tests(&crate_dir, name);
    // The binary is copied out: other test files build other servers into the shared target.
    let binary = tmp.path().join(name);
    build_binary(&crate_dir, &database, &binary);

    let fake = &provider.base;
    let env = vec![
        ("DATABASE_URL", database.clone()),
        ("AUTH_SECRET", random_secret()),
        ("AUTH_AUDIENCE", "e2e-api".to_owned()),
        ("CORS_ORIGINS", "http://app.e2e".to_owned()),
        ("GOOGLE_CLIENT_ID", GOOGLE_CLIENT.0.to_owned()),
        ("GOOGLE_CLIENT_SECRET", GOOGLE_CLIENT.1.to_owned()),
        ("GOOGLE_AUTHORIZE_URL", format!("{fake}/google/authorize")),
        ("GOOGLE_TOKEN_URL", format!("{fake}/google/token")),
        ("GOOGLE_USERINFO_URL", format!("{fake}/google/userinfo")),
        ("GITHUB_CLIENT_ID", GITHUB_CLIENT.0.to_owned()),
        ("GITHUB_CLIENT_SECRET", GITHUB_CLIENT.1.to_owned()),
        ("GITHUB_AUTHORIZE_URL", format!("{fake}/github/authorize")),
        ("GITHUB_TOKEN_URL", format!("{fake}/github/token")),
        ("GITHUB_USERINFO_URL", format!("{fake}/github/user")),
        ("GITHUB_EMAILS_URL", format!("{fake}/github/emails")),
    ];
    let missing = Command::new(&binary)
        .env_clear()
        .envs(
            env.iter()
                .filter(|(k, _)| *k != "GITHUB_CLIENT_SECRET")
                .cloned(),
        )
        .output()
        .unwrap();
    assert_eq!(
        missing.status.code(),
        Some(2),
        "a missing client secret stops the start"
    );
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("GITHUB_CLIENT_SECRET is not set"),
        "{stderr}"
    );
    launch(Some(tmp), binary, env, provider, database, face)
}

/// Start the built server on a free port, and register its callback URLs with the provider.
fn launch(
    repo: Option<tempfile::TempDir>,
    binary: std::path::PathBuf,
    env: Vec<(&'static str, String)>,
    provider: &FakeProvider,
    database: String,
    face: Face,
) -> Server {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/api/auth");
    for name in ["google", "github"] {
        let callback = match face {
            Face::Token => format!("{base}/oauth/{name}/callback"),
            Face::BetterAuth => format!("{base}/callback/{name}"),
        };
        provider.register(name, callback);
    }
    let mut command = Command::new(&binary);
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .env("AUTH_ISSUER", format!("http://127.0.0.1:{port}"))
        .envs(env.iter().cloned());
    let (process, log) = spawn_until_healthy(command, &format!("{base}/health"));
    Server {
        _repo: repo,
        binary,
        env,
        base,
        database,
        log,
        _process: process,
    }
}

impl Server {
    /// The same server (binary, database, secret) on another port with `extra` settings.
    fn restart_with(&self, provider: &FakeProvider, extra: &[(&'static str, &str)]) -> Server {
        let mut env = self.env.clone();
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        launch(
            None,
            self.binary.clone(),
            env,
            provider,
            self.database.clone(),
            Face::Token,
        )
    }
}

#[test]
fn google_and_github_sign_in_against_a_fake_provider() {
    let provider = FakeProvider::start();
    let server = render_build_and_start(&provider, Face::Token);
    let pid = std::process::id();

    // Google, first time: a new user with a linked account, signed in.
    let ada = format!("ada-{pid}@gmail.test");
    provider.signs_in_as("google", account("g-100", &ada, true));
    let first = server.sign_in_with("google");
    signed_in(&first);
    let me = server.me(&first);
    assert_eq!(me["email"], ada.as_str());
    let user_id = me["id"].as_str().unwrap().to_owned();
    assert_eq!(
        server.sql(
            "SELECT user_id, email_verified, password_hash IS NULL \
             FROM accounts JOIN users ON users.id = user_id \
             WHERE provider = 'google' AND provider_account_id = 'g-100'"
        ),
        format!("{user_id}|t|t")
    );

    // Again: the same user, no second account row.
    let again = server.sign_in_with("google");
    signed_in(&again);
    assert_eq!(server.me(&again)["id"], user_id.as_str());
    assert_eq!(
        server.sql(&format!(
            "SELECT count(*) FROM accounts WHERE user_id = '{user_id}'"
        )),
        "1"
    );

    // A replayed callback (same code, same state, same cookie) finds the state used.
    let (callback, cookie) = server.through_provider("google");
    signed_in(&browse(&callback, Some(&cookie)));
    assert_refused(&browse(&callback, Some(&cookie)), 400, "OAUTH_STATE_USED");

    // The same code under a fresh state: the provider refuses it.
    let old_code = Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let fresh = server.start("google", "/after");
    let fresh_state = fresh
        .authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let mut replay = Url::parse(&callback).unwrap();
    replay
        .query_pairs_mut()
        .clear()
        .append_pair("code", &old_code)
        .append_pair("state", &fresh_state);
    assert_refused(
        &browse(replay.as_str(), Some(&fresh.state_cookie)),
        400,
        "OAUTH_CODE_REJECTED",
    );
    assert_eq!(
        provider.refusals().last().map(String::as_str),
        Some("invalid_grant: code already used")
    );

    // A state that is not the cookie's: refused before the code is spent.
    let (callback, cookie) = server.through_provider("google");
    let mut forged = Url::parse(&callback).unwrap();
    let code: String = forged
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "attacker-chosen-state");
    assert_refused(
        &browse(forged.as_str(), Some(&cookie)),
        400,
        "OAUTH_STATE_MISMATCH",
    );
    // No state cookie (another browser, or the cookie expired): refused.
    assert_refused(&browse(&callback, None), 400, "OAUTH_STATE_MISSING");
    // The code was never exchanged: the refusals above cost the provider nothing.
    assert_eq!(provider.refusals().len(), 1);

    // GitHub, first time: a new user; again: the same one.
    let grace = format!("grace-{pid}@github.test");
    provider.signs_in_as("github", account("5151", &grace, true));
    let first = server.sign_in_with("github");
    signed_in(&first);
    let grace_id = server.me(&first)["id"].as_str().unwrap().to_owned();
    let again = server.sign_in_with("github");
    signed_in(&again);
    assert_eq!(server.me(&again)["id"], grace_id.as_str());
    assert_eq!(
        server.sql(&format!(
            "SELECT provider, provider_account_id FROM accounts WHERE user_id = '{grace_id}'"
        )),
        "github|5151"
    );

    // Linking by verified email to a password user: the same user. The password had never been
    // proven to belong to the address's owner, so it ends there.
    let linus = format!("linus-{pid}@example.com");
    let linus_id = server.sign_up(&linus);
    provider.signs_in_as("github", account("4242", &linus, true));
    let linked = server.sign_in_with("github");
    signed_in(&linked);
    assert_eq!(server.me(&linked)["id"], linus_id.as_str());
    assert_eq!(
        server.sql(&format!(
            "SELECT provider, provider_account_id FROM accounts WHERE user_id = '{linus_id}'"
        )),
        "github|4242"
    );
    assert_eq!(
        server.password_sign_in(&linus),
        401,
        "an unverified account's password ends when the owner links"
    );

    // A password user whose address is verified keeps the password when linking.
    let margaret = format!("margaret-{pid}@example.com");
    let margaret_id = server.sign_up(&margaret);
    server.sql(&format!(
        "UPDATE users SET email_verified = true WHERE id = '{margaret_id}'"
    ));
    provider.signs_in_as("google", account("g-200", &margaret, true));
    let linked = server.sign_in_with("google");
    signed_in(&linked);
    assert_eq!(server.me(&linked)["id"], margaret_id.as_str());
    assert_eq!(server.password_sign_in(&margaret), 200);

    // An address the provider has not verified links nothing and creates nobody.
    let alan = format!("alan-{pid}@example.com");
    let alan_id = server.sign_up(&alan);
    for (name, id) in [("github", "777"), ("google", "g-777")] {
        provider.signs_in_as(name, account(id, &alan, false));
        let refused = server.sign_in_with(name);
        assert_refused(&refused, 403, "OAUTH_EMAIL_NOT_VERIFIED");
        assert_eq!(
            server.sql(&format!(
                "SELECT count(*) FROM accounts WHERE provider_account_id = '{id}'"
            )),
            "0"
        );
    }
    assert_eq!(
        server.sql(&format!(
            "SELECT count(*) FROM accounts WHERE user_id = '{alan_id}'"
        )),
        "0"
    );
    // Untouched: the password still matches. Verification is required in this configuration,
    // so a matching password of an unverified address answers 403 EMAIL_NOT_VERIFIED (a
    // removed or wrong one would be 401).
    assert_eq!(
        server.password_sign_in(&alan),
        403,
        "the account is untouched"
    );
    let stranger = format!("stranger-{pid}@example.com");
    provider.signs_in_as("google", account("g-888", &stranger, false));
    assert_refused(
        &server.sign_in_with("google"),
        403,
        "OAUTH_EMAIL_NOT_VERIFIED",
    );
    assert_eq!(
        server.sql(&format!(
            "SELECT count(*) FROM users WHERE email = '{stranger}'"
        )),
        "0"
    );

    // Codes, provider tokens and secrets never reach the log.
    let log = std::fs::read_to_string(&server.log).unwrap();
    for secret in provider
        .secrets()
        .iter()
        .map(String::as_str)
        .chain([GOOGLE_CLIENT.1, GITHUB_CLIENT.1])
    {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }

    // Sign-up closed: an existing user still links a provider account, a new address
    // creates nobody.
    let closed = server.restart_with(&provider, &[("SIGNUP_ENABLED", "false")]);
    provider.signs_in_as("github", account("300", &margaret, true));
    let linked = closed.sign_in_with("github");
    signed_in(&linked);
    assert_eq!(closed.me(&linked)["id"], margaret_id.as_str());
    let newcomer = format!("newcomer-{pid}@example.com");
    provider.signs_in_as("google", account("g-900", &newcomer, true));
    assert_refused(&closed.sign_in_with("google"), 403, "SIGNUP_DISABLED");
    assert_eq!(
        closed.sql(&format!(
            "SELECT count(*) FROM users WHERE email = '{newcomer}'"
        )),
        "0"
    );
}

/// Files the email-only server is made of, as (path, text).
/// Better Auth's face signs in with the same providers: `POST /sign-in/social`, the
/// provider's login, `GET /callback/{provider}` from the browser holding the state cookie.
/// The provider accepts the PKCE verifier the face derives from the state; a new account goes
/// on to newUserCallbackURL and a known one to callbackURL, each with a session cookie that
/// get-session reads; the answer works once.
#[test]
fn better_auth_social_sign_in_against_a_fake_provider() {
    let provider = FakeProvider::start();
    let server = render_build_and_start(&provider, Face::BetterAuth);
    let email = format!("social-{}@gmail.test", std::process::id());
    provider.signs_in_as("google", account("g-ba-1", &email, true));
    let sign_in = || {
        let response = agent()
            .post(&format!("{}/sign-in/social", server.base))
            .set("Origin", "http://app.e2e")
            .send_json(json!({
                "provider": "google",
                "callbackURL": "http://app.e2e/home",
                "newUserCallbackURL": "http://app.e2e/welcome",
            }))
            .unwrap();
        let state = response
            .all("set-cookie")
            .into_iter()
            .find_map(|c| c.split(';').next()?.strip_prefix("better-auth.state="))
            .expect("a state cookie")
            .to_owned();
        let body: Value = response.into_json().unwrap();
        let at_provider = browse(body["url"].as_str().unwrap(), None);
        assert_eq!(at_provider.status, 302, "the provider accepted the request");
        let callback = at_provider.location.unwrap();
        let answer = browse(&callback, Some(&format!("better-auth.state={state}")));
        (answer, callback, state)
    };
    let session_of = |answer: &Answer| {
        let token = answer
            .cookie("better-auth.session_token")
            .expect("a session cookie");
        let response = agent()
            .get(&format!("{}/get-session", server.base))
            .set("Cookie", &format!("better-auth.session_token={token}"))
            .call()
            .unwrap();
        response.into_json::<Value>().unwrap()
    };
    let (first, callback, state) = sign_in();
    assert_eq!(first.status, 302, "{}", first.body);
    assert_eq!(first.location.as_deref(), Some("http://app.e2e/welcome"));
    assert_eq!(first.cookie("better-auth.state").as_deref(), Some(""));
    let session = session_of(&first);
    assert_eq!(session["user"]["email"], email.as_str());
    assert_eq!(session["user"]["emailVerified"], true);
    let replay = browse(&callback, Some(&format!("better-auth.state={state}")));
    assert_eq!(
        replay.location.as_deref(),
        Some(format!("{}/error?error=state_mismatch", server.base).as_str())
    );
    assert!(replay.cookie("better-auth.session_token").is_none());
    let (again, _, _) = sign_in();
    assert_eq!(again.location.as_deref(), Some("http://app.e2e/home"));
    assert_eq!(session_of(&again)["user"]["id"], session["user"]["id"]);
    assert_eq!(
        server.sql(&format!(
            "SELECT count(*) FROM accounts a JOIN users u ON u.id = a.user_id \
             WHERE u.email = '{email}' AND a.provider = 'google'"
        )),
        "1"
    );
    assert!(provider.refusals().is_empty(), "{:?}", provider.refusals());
}

fn generated_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(generated_files(&path));
        } else {
            files.push((path.display().to_string(), read(&path)));
        }
    }
    files
}

#[test]
fn email_only_renders_no_oauth_code() {
    let (_tmp, repo) = copy_fixture("empty");
    let init = run(
        &["init", "--yes", "--no-doctor", "--methods", "email"],
        &repo,
    );
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let server = repo.join("auth-server");
    assert!(!server.join("src/oauth.rs").exists());
    assert!(!server.join("src/oauth").exists());
    for (path, text) in generated_files(&server) {
        for needle in ["oauth", "GOOGLE_", "GITHUB_", "PKCE", "cookie-private"] {
            assert!(
                !text.to_lowercase().contains(&needle.to_lowercase()),
                "{path} mentions {needle}"
            );
        }
    }
    let manifest = read(&server.join("Cargo.toml"));
    let dependencies = manifest.split("[dev-dependencies]").next().unwrap();
    assert!(
        !dependencies.contains("reqwest"),
        "no HTTP client in the server without a provider:\n{manifest}"
    );

    // One provider: only its code and variables.
    let (_tmp, repo) = copy_fixture("empty");
    let init = run(
        &["init", "--yes", "--no-doctor", "--methods", "email,github"],
        &repo,
    );
    assert_eq!(init.code, 0, "{}{}", init.stdout, init.stderr);
    let server = repo.join("auth-server");
    assert!(server.join("src/oauth/github.rs").is_file());
    assert!(!server.join("src/oauth/google.rs").exists());
    let env = read(&server.join(".env.example"));
    assert!(
        env.contains("GITHUB_CLIENT_ID=") && !env.contains("GOOGLE_"),
        "{env}"
    );
    assert!(
        !init.stdout.contains("does not generate them yet"),
        "{}",
        init.stdout
    );
}
