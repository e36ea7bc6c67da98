//! Running generated code for real: one shared target directory for generated crates, a
//! fresh database per configuration, processes that are killed when dropped, JSON over HTTP.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One target directory for every generated build, so dependencies compile once: under
/// `CARGO_TARGET_DIR` when the suite runs with one, else under the checkout's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("generated")
}

pub fn database_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL is not set: run the suite with scripts/test.sh, which starts PostgreSQL",
    )
}

/// A fresh database on the test server, for one configuration.
pub fn create_database(name: &str) -> String {
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

/// Cargo on the shared target directory, one run at a time in this test binary: every
/// generated crate builds the same `debug/auth-server` (and `cargo test` builds it too), so a
/// parallel test's run could replace it between another's build and the copy it keeps.
static TARGET: Mutex<()> = Mutex::new(());

fn target_lock() -> MutexGuard<'static, ()> {
    TARGET
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn cargo(dir: &Path, args: &[&str], database_url: &str) {
    let _target = target_lock();
    run_cargo(dir, args, database_url);
}

/// Build the generated crate in `dir` and copy its server binary to `to`, in one step (see
/// `TARGET`): the copy is what a test runs, so the next build cannot replace it either.
pub fn build_binary(dir: &Path, database_url: &str, to: &Path) {
    build_and_copy(
        dir,
        &["build", "--quiet"],
        database_url,
        &[("auth-server", to)],
    );
}

/// `cargo <args>` in `dir`, then each `(binary, to)` copied out, in one step (see `TARGET`).
pub fn build_and_copy(dir: &Path, args: &[&str], database_url: &str, copies: &[(&str, &Path)]) {
    let _target = target_lock();
    run_cargo(dir, args, database_url);
    for (binary, to) in copies {
        std::fs::copy(target_dir().join("debug").join(binary), to).unwrap();
    }
}

fn run_cargo(dir: &Path, args: &[&str], database_url: &str) {
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

/// The generated crate's own tests, on a database of their own: they sign with test-only key
/// material, which a server started later on the same database must not find in `jwks`.
pub fn crate_tests(dir: &Path, database: &str) {
    let url = create_database(&format!("{database}_crate_tests"));
    cargo(dir, &["test", "--quiet"], &url);
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A random 32-byte hex secret for one test run.
pub fn random_secret() -> String {
    let mut buf = [0u8; 32];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut buf)
        .unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A child process killed when dropped, so a failing assertion leaves nothing running.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Running {
    pub process: Process,
    pub base: String,
    pub log: PathBuf,
}

pub fn start(binary: &Path, env: &[(&str, String)]) -> Running {
    let port = free_port();
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    let base = format!("http://127.0.0.1:{port}/api/auth");
    let (process, log) = spawn_until_healthy(command, &format!("{base}/health"));
    Running { process, base, log }
}

/// A service started by a test: spawned with stderr to a log file, and waited for until
/// `health` answers (the log is shown when it never does).
pub fn spawn_until_healthy(mut command: Command, health: &str) -> (Process, PathBuf) {
    let log = tempfile_path("authgen-service", "log");
    command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let process = Process(command.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(err) = ureq::get(health).call() {
        assert!(
            Instant::now() < deadline,
            "{health} did not come up ({err}):\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (process, log)
}

/// A fresh path in the temp directory (the port alone is not unique across test binaries).
fn tempfile_path(prefix: &str, extension: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("{prefix}-{}-{n}.{extension}", std::process::id()))
}

pub fn post(url: &str, body: Value) -> (u16, Value) {
    answer(url, ureq::post(url).send_json(body))
}

pub fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = ureq::get(url);
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    answer(url, request.call())
}

/// Status and JSON body, whatever the status (ureq reports 4xx/5xx as errors).
pub fn answer(url: &str, result: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => (
            response.status(),
            response.into_json().unwrap_or(Value::Null),
        ),
        Err(err) => panic!("{url}: {err}"),
    }
}

/// The test virtualenv's python, built once per test binary.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let output = Command::new("bash")
            .arg(root.join("scripts/python-env.sh"))
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "scripts/python-env.sh failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

/// One query's result, unaligned (`a|b` per row), through psql.
pub fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .arg(url)
        .args(["-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql is installed");
    assert!(
        output.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The generated server on a port chosen here, with AUTH_ISSUER its real address (the base
/// of the links it emails) unless `env` names one; stdout and stderr go to its log.
pub fn serve(binary: &Path, env: &[(&str, String)]) -> Running {
    let port = free_port();
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PORT", port.to_string())
        .env("AUTH_ISSUER", format!("http://127.0.0.1:{port}"))
        .env("RUST_LOG", "info");
    for (key, value) in env {
        command.env(key, value);
    }
    let log = tempfile_path("authgen-server", "log");
    let file = std::fs::File::create(&log).unwrap();
    command.stdout(file.try_clone().unwrap()).stderr(file);
    let process = Process(command.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}/api/auth");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("{base}/health")).call().is_err() {
        assert!(
            Instant::now() < deadline,
            "the server did not come up:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Running { process, base, log }
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `http://127.0.0.1:PORT`: the origin of the pages this server serves itself.
    pub fn origin(&self) -> String {
        self.base.trim_end_matches("/api/auth").to_owned()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// An answer, whatever its status: status, headers and body text.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    /// The answer to `url`, 4xx and 5xx included (ureq reports those as errors).
    pub fn of(url: &str, result: Result<ureq::Response, ureq::Error>) -> Reply {
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(err) => panic!("{url}: {err}"),
        };
        let mut headers = Vec::new();
        let mut names = response.headers_names();
        names.sort();
        names.dedup();
        for name in names {
            for value in response.all(&name) {
                headers.push((name.to_ascii_lowercase(), value.to_owned()));
            }
        }
        Reply {
            status: response.status(),
            headers,
            text: response.into_string().unwrap_or_default(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn code(&self) -> Value {
        self.json()["code"].clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A browser: its own cookie jar, the Origin a page on `origin` would send with every
/// request that is not a GET, and no redirects followed.
pub struct Browser {
    agent: ureq::Agent,
    origin: Option<String>,
    /// Sent as X-Forwarded-For, as a proxy in front of the server would (its own
    /// rate-limit bucket on a server with TRUST_PROXY=true).
    address: Option<String>,
}

impl Browser {
    pub fn new(origin: Option<&str>) -> Browser {
        Browser {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            origin: origin.map(str::to_owned),
            address: None,
        }
    }

    /// A browser behind a proxy that reports it as `address`.
    pub fn at(origin: Option<&str>, address: &str) -> Browser {
        Browser {
            address: Some(address.to_owned()),
            ..Browser::new(origin)
        }
    }

    fn with_origin(&self, request: ureq::Request) -> ureq::Request {
        let request = match &self.address {
            Some(address) => request.set("X-Forwarded-For", address),
            None => request,
        };
        match &self.origin {
            Some(origin) => request.set("Origin", origin),
            None => request,
        }
    }

    pub fn get(&self, url: &str) -> Reply {
        let mut request = self.agent.get(url).set("Accept", "text/html");
        if let Some(address) = &self.address {
            request = request.set("X-Forwarded-For", address);
        }
        Reply::of(url, request.call())
    }

    pub fn post(&self, url: &str, body: Value) -> Reply {
        let request = self.with_origin(self.agent.post(url));
        Reply::of(url, request.send_json(body))
    }

    /// Submit a form, as a page's button does.
    pub fn submit(&self, url: &str, fields: &[(&str, &str)]) -> Reply {
        let request = self.with_origin(self.agent.post(url));
        Reply::of(url, request.send_form(fields))
    }

    /// The value of the cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.agent
            .cookie_store()
            .iter_any()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }
}

/// Schemathesis (`--checks all`) against the server's own `/openapi.json`, authenticated as a
/// signed-in user: every documented route with generated data, every answer held to the
/// document (status, schema, headers, no 5xx). Two users, two passes: sign-out (`/signout`,
/// and Better Auth's `/sign-out` where that face is served) revokes what it is sent, so it
/// runs alone with its own user, after everything else. With the Better Auth face the user
/// is signed in there too: its session cookie, and the Origin a page of the server's own
/// would send, go with every request.
pub fn fuzz_openapi(server: &Running, database_url: &str) {
    let schemathesis = python().with_file_name("schemathesis");
    let spec = server.url("/openapi.json");
    let (status, document) = get(&spec, None);
    assert_eq!(status, 200, "{document}");
    let better_auth = document["paths"]
        .as_object()
        .is_some_and(|paths| paths.keys().any(|p| p.ends_with("/sign-in/email")));
    let sign_out = "/(signout|sign-out)$";
    let passes = [
        ("everything but sign-out", "--exclude-path-regex"),
        ("sign-out", "--include-path-regex"),
    ];
    // Both users first: the first pass spends the sign-up limit.
    let users = [0, 1].map(|n| fuzz_user(server, database_url, n, better_auth));
    let settings = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schemathesis.toml"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for ((what, filter), user) in passes.into_iter().zip(users) {
        // The session cookie as the document's `sessionCookie` scheme, so that schemathesis
        // knows it authenticates (and checks that leaving it out is refused).
        let config = dir.path().join(format!("schemathesis-{}.toml", user.n));
        let mut text = settings.clone();
        if better_auth {
            // Better Auth's email and social routes answer other methods with 404 too; the
            // token API's at the same paths (without the face) keep the 405 check.
            text.push_str(concat!(
                "\n[[operations]]\n",
                "include-path-regex = \"/(send-verification-email|verify-email|request-password-reset|reset-password(/[^/]+)?|sign-in/magic-link|magic-link/verify|sign-in/social|callback/[^/]+)$\"\n",
                "phases.coverage.unexpected-methods = []\n",
            ));
        }
        if let Some(cookie) = &user.session_cookie {
            text.push_str(&format!(
                "\n[auth.openapi.sessionCookie]\napi_key = {cookie:?}\n"
            ));
        }
        std::fs::write(&config, text).unwrap();
        let mut command = Command::new(&schemathesis);
        command
            .arg("--config-file")
            .arg(&config)
            .args(["run", &spec, "--checks", "all", "--max-examples", "15"])
            .args([
                "--workers",
                "2",
                "--seed",
                "1",
                "--no-color",
                filter,
                sign_out,
            ]);
        for header in &user.headers {
            command.args(["-H", header]);
        }
        let output = command.output().expect("schemathesis runs");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "schemathesis ({what}) found failures:\n{report}{}\nserver log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            server.log()
        );
        // "Test cases: 489 generated, 489 passed" (warnings may say "generated" too).
        let generated: u32 = report
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .find_map(|w| (w[1] == "generated,").then(|| w[0].parse().ok()).flatten())
            .unwrap_or_else(|| panic!("no case count in:\n{report}"));
        assert!(
            generated > 0,
            "schemathesis ({what}) generated no cases:\n{report}"
        );
        println!("schemathesis ({what}) on {spec}: {generated} cases, 0 failures");
    }
}

/// A fresh verified user signed in with a password, as the fuzzer sends it.
struct FuzzUser {
    n: usize,
    /// Its access token as `Authorization` (and, with Better Auth's API, the Origin of the
    /// server's own pages).
    headers: Vec<String>,
    /// Its Better Auth session cookie's value, when that face is served.
    session_cookie: Option<String>,
}

fn fuzz_user(server: &Running, database_url: &str, n: usize, better_auth: bool) -> FuzzUser {
    let email = format!("fuzz-{n}-{}@example.com", std::process::id());
    let password = "fuzzing horse battery";
    let (status, body) = post(
        &server.url("/signup"),
        serde_json::json!({ "email": email, "password": password, "name": "Fuzz" }),
    );
    assert_eq!(status, 201, "{body}");
    psql(
        database_url,
        &format!("UPDATE users SET email_verified = true WHERE email = '{email}'"),
    );
    let (status, body) = post(
        &server.url("/signin"),
        serde_json::json!({ "email": email, "password": password }),
    );
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let mut headers = vec![format!("Authorization: Bearer {token}")];
    let origin = server.origin();
    if better_auth {
        // A cookie-carrying POST needs a trusted Origin on Better Auth's API.
        headers.push(format!("Origin: {origin}"));
    }
    let session_cookie = better_auth.then(|| {
        let browser = Browser::new(Some(&origin));
        let sign_in = || {
            browser.post(
                &server.url("/sign-in/email"),
                serde_json::json!({ "email": email, "password": password }),
            )
        };
        let mut signed_in = sign_in();
        // Better Auth's own limit (3 per 10 s from one address) may be spent by what ran
        // before: wait as the answer says, as a client would.
        for _ in 0..3 {
            if signed_in.status != 429 {
                break;
            }
            let wait: u64 = signed_in
                .header("x-retry-after")
                .and_then(|s| s.parse().ok())
                .unwrap_or(10);
            std::thread::sleep(Duration::from_secs(wait.clamp(1, 10)));
            signed_in = sign_in();
        }
        assert_eq!(signed_in.status, 200, "{}", signed_in.text);
        browser
            .cookie("better-auth.session_token")
            .expect("the session cookie")
    });
    FuzzUser {
        n,
        headers,
        session_cookie,
    }
}

/// The standard output of a command that must succeed (its output and errors otherwise).
pub fn stdout_of(output: std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
