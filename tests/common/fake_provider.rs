//! A fake OAuth provider for end-to-end tests: Google's and GitHub's endpoints under
//! /google/ and /github/, checking the client's credentials, the exact redirect URI and the
//! PKCE verifier, and issuing single-use codes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use super::e2e::random_secret;

pub const GOOGLE_CLIENT: (&str, &str) = ("google-e2e-client", "google-e2e-secret");
pub const GITHUB_CLIENT: (&str, &str) = ("github-e2e-client", "github-e2e-secret");

// ---------------------------------------------------------------------------------------------
// The fake provider: Google's and GitHub's endpoints under /google/ and /github/.

/// The account the fake provider signs in as next, like a user at the provider's login page.
#[derive(Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub verified: bool,
    pub name: String,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    account: Account,
}

#[derive(Default)]
struct ProviderState {
    /// Per provider (`google`, `github`): who signs in next, and the registered redirect URI.
    accounts: HashMap<String, Account>,
    redirect_uris: HashMap<String, String>,
    codes: HashMap<String, Grant>,
    used_codes: Vec<String>,
    tokens: HashMap<String, Account>,
    /// Why the token endpoint refused a request, in order.
    refusals: Vec<String>,
    /// Every code and access token handed out, to check none reaches the server's log.
    secrets: Vec<String>,
}

pub struct FakeProvider {
    pub base: String,
    state: Arc<Mutex<ProviderState>>,
}

impl FakeProvider {
    pub fn start() -> FakeProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ProviderState::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FakeProvider { base, state }
    }

    pub fn register(&self, provider: &str, redirect_uri: String) {
        let mut state = self.state.lock().unwrap();
        state
            .redirect_uris
            .insert(provider.to_owned(), redirect_uri);
    }

    pub fn signs_in_as(&self, provider: &str, account: Account) {
        let mut state = self.state.lock().unwrap();
        state.accounts.insert(provider.to_owned(), account);
    }

    pub fn refusals(&self) -> Vec<String> {
        self.state.lock().unwrap().refusals.clone()
    }

    pub fn secrets(&self) -> Vec<String> {
        self.state.lock().unwrap().secrets.clone()
    }
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    form: HashMap<String, String>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let url = Url::parse(&format!("http://fake{target}")).ok()?;
    Some(Request {
        method,
        path: url.path().to_owned(),
        query: url.query_pairs().into_owned().collect(),
        headers,
        form: url::form_urlencoded::parse(&body).into_owned().collect(),
    })
}

fn respond(mut stream: TcpStream, status: u16, headers: &[(&str, &str)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let _ = stream.write_all(format!("{head}\r\n{body}").as_bytes());
}

fn json_response(stream: TcpStream, status: u16, body: Value) {
    respond(
        stream,
        status,
        &[("Content-Type", "application/json")],
        &body.to_string(),
    );
}

fn serve(stream: TcpStream, state: &Mutex<ProviderState>) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let (provider, endpoint) = request
        .path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or(("", ""));
    let provider = provider.to_owned();
    let mut state = state.lock().unwrap();
    match (request.method.as_str(), endpoint) {
        ("GET", "authorize") => authorize(stream, &mut state, &provider, &request),
        ("POST", "token") => token(stream, &mut state, &provider, &request),
        ("GET", "userinfo" | "user" | "emails") => {
            let bearer = request
                .headers
                .get("authorization")
                .and_then(|v| v.strip_prefix("Bearer "));
            let Some(account) = bearer.and_then(|t| state.tokens.get(t)).cloned() else {
                return json_response(stream, 401, json!({ "message": "Bad credentials" }));
            };
            let body = match endpoint {
                "userinfo" => json!({
                    "sub": account.id,
                    "email": account.email,
                    "email_verified": account.verified,
                    "name": account.name,
                }),
                "user" => json!({
                    "id": account.id.parse::<u64>().unwrap(),
                    "login": account.name.to_lowercase().replace(' ', "-"),
                    "name": account.name,
                    "email": null,
                }),
                _ => json!([
                    { "email": format!("old-{}", account.email), "primary": false, "verified": true, "visibility": null },
                    { "email": account.email, "primary": true, "verified": account.verified, "visibility": "private" },
                ]),
            };
            json_response(stream, 200, body);
        }
        _ => respond(stream, 404, &[], "not found"),
    }
}

/// The provider's login page, already signed in: checks the request and sends the browser back
/// with a fresh code.
fn authorize(stream: TcpStream, state: &mut ProviderState, provider: &str, request: &Request) {
    let q = &request.query;
    let client_id = if provider == "google" {
        GOOGLE_CLIENT.0
    } else {
        GITHUB_CLIENT.0
    };
    let registered = state
        .redirect_uris
        .get(provider)
        .cloned()
        .unwrap_or_default();
    let problem = if q.get("client_id").map(String::as_str) != Some(client_id) {
        "unknown client_id"
    } else if q.get("redirect_uri") != Some(&registered) {
        "redirect_uri_mismatch"
    } else if q.get("response_type").map(String::as_str) != Some("code") {
        "unsupported response_type"
    } else if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        "PKCE with S256 required"
    } else if q.get("code_challenge").is_none_or(|c| c.len() != 43) {
        "missing code_challenge"
    } else if q.get("state").is_none_or(String::is_empty) {
        "missing state"
    } else {
        ""
    };
    if !problem.is_empty() {
        return respond(stream, 400, &[], problem);
    }
    let account = state.accounts[provider].clone();
    let code = format!("code-{}", random_secret());
    state.secrets.push(code.clone());
    state.codes.insert(
        code.clone(),
        Grant {
            client_id: client_id.to_owned(),
            redirect_uri: registered.clone(),
            challenge: q["code_challenge"].clone(),
            account,
        },
    );
    let mut back = Url::parse(&registered).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q["state"]);
    respond(stream, 302, &[("Location", back.as_str())], "");
}

/// The token endpoint: client credentials, a code used at most once, the same redirect URI,
/// and the verifier whose S256 hash is the challenge.
fn token(stream: TcpStream, state: &mut ProviderState, provider: &str, request: &Request) {
    let f = &request.form;
    let (id, secret) = if provider == "google" {
        GOOGLE_CLIENT
    } else {
        GITHUB_CLIENT
    };
    let code = f.get("code").cloned().unwrap_or_default();
    let refusal = if f.get("client_id").map(String::as_str) != Some(id)
        || f.get("client_secret").map(String::as_str) != Some(secret)
    {
        Some("invalid_client")
    } else if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        Some("unsupported_grant_type")
    } else if state.used_codes.contains(&code) {
        Some("invalid_grant: code already used")
    } else {
        match state.codes.get(&code) {
            None => Some("invalid_grant: unknown code"),
            Some(grant) if f.get("redirect_uri") != Some(&grant.redirect_uri) => {
                Some("invalid_grant: redirect_uri differs")
            }
            Some(grant) if grant.client_id != id => Some("invalid_grant: another client's code"),
            Some(grant)
                if f.get("code_verifier").map(|v| s256(v)) != Some(grant.challenge.clone()) =>
            {
                Some("invalid_grant: PKCE verifier does not match")
            }
            Some(_) => None,
        }
    };
    if let Some(refusal) = refusal {
        state.refusals.push(refusal.to_owned());
        let error = refusal.split(':').next().unwrap();
        // GitHub answers refusals with 200 and an error field; Google with 400.
        let status = if provider == "github" { 200 } else { 400 };
        let error = if provider == "github" && error == "invalid_grant" {
            "bad_verification_code"
        } else {
            error
        };
        return json_response(stream, status, json!({ "error": error }));
    }
    let grant = state.codes.remove(&code).unwrap();
    state.used_codes.push(code);
    let access_token = format!("token-{}", random_secret());
    state.secrets.push(access_token.clone());
    state.tokens.insert(access_token.clone(), grant.account);
    json_response(
        stream,
        200,
        json!({ "access_token": access_token, "token_type": "Bearer", "scope": "email" }),
    );
}

/// base64url(SHA-256(verifier)), without padding (RFC 7636, S256).
fn s256(verifier: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digest = Sha256::digest(verifier.as_bytes());
    let mut out = String::new();
    for chunk in digest.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A provider account that signs in next (`provider.signs_in_as`).
pub fn account(id: &str, email: &str, verified: bool) -> Account {
    Account {
        id: id.to_owned(),
        email: email.to_owned(),
        verified,
        name: "Ada Lovelace".to_owned(),
    }
}
