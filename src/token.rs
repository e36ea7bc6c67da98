//! `authgen token decode|verify|mint`: debug a JWT against this repository's configuration
//! (authgen.toml and the auth server's env), naming the exact check that fails.

use std::io::Write;
use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::JwkSet};
use serde_json::{Value, json};

use crate::cli::TokenAction;
use crate::configure::Algorithm as Alg;
use crate::ui::{ERR, OK, paint};

const LEEWAY: i64 = 10;

/// What a verifier in this repository expects.
struct Expected {
    algorithm: Algorithm,
    issuer: String,
    audience: String,
    secret: Option<String>,
    jwks_url: Option<String>,
}

/// Why `authgen token` could not do what was asked (a token failing verification is not
/// an error: it is the report).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{}: no authgen.toml; run `authgen init` first (or pass --path)", .0.display())]
    NoAnswers(std::path::PathBuf),
    #[error("not a JWT: {0}")]
    NotAJwt(#[source] jsonwebtoken::errors::Error),
    #[error(
        "this repository signs EdDSA: the private key lives (encrypted) in the auth server's database; sign in to get a token instead"
    )]
    MintEddsa,
    #[error(
        "neither AUTH_JWT_KEY in the backend's .env nor AUTH_SECRET in the auth server's is set (`authgen secret --write`)"
    )]
    NoSecret,
    #[error("{path}: {source}")]
    Jwks {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("signing: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn expected(root: &Path) -> Result<Expected, TokenError> {
    let ws = crate::doctor::Workspace::open(root);
    let Some((answers, _)) = crate::doctor::facts::answers(&ws) else {
        return Err(TokenError::NoAnswers(root.to_path_buf()));
    };
    // The server's default audience, as `authgen init` recorded it.
    let server = crate::doctor::facts::manifest(&ws).and_then(|m| m.server);
    let auth_dir = answers
        .auth_dir
        .clone()
        .unwrap_or_else(|| "auth-server".to_owned());
    let env = |key: &str| {
        [".env", ".env.local", ".env.example"]
            .iter()
            .find_map(|name| {
                ws.source(&crate::discover::join_rel(&auth_dir, name))
                    .and_then(|f| f.env_value(key).map(|e| e.value.clone()))
                    .filter(|v| !v.is_empty())
            })
    };
    let port = env("PORT").unwrap_or_else(|| answers.port.unwrap_or(4000).to_string());
    let name = crate::discover::discover(root)
        .map(|p| p.name)
        .unwrap_or_default();
    let backend_env = |key: &str| {
        let dir = answers.backend_dir.as_deref()?;
        ws.source(&crate::discover::join_rel(dir, ".env"))
            .and_then(|f| f.env_value(key).map(|e| e.value.clone()))
            .filter(|v| !v.is_empty())
    };
    Ok(Expected {
        algorithm: match answers.algorithm.unwrap_or(Alg::Eddsa) {
            Alg::Eddsa => Algorithm::EdDSA,
            Alg::Hs256 => Algorithm::HS256,
        },
        issuer: env("AUTH_ISSUER").unwrap_or_else(|| format!("http://localhost:{port}")),
        audience: env("AUTH_AUDIENCE")
            .or_else(|| server.map(|s| s.audience))
            .unwrap_or_else(|| format!("{name}-api")),
        // The HS256 key: the backend's AUTH_JWT_KEY, or the one derived from the server's secret.
        secret: backend_env("AUTH_JWT_KEY")
            .or_else(|| env("AUTH_SECRET").map(|s| crate::secret::hs256_verifier_key(&s))),
        jwks_url: backend_env("AUTH_JWKS_URL"),
    })
}

fn read_token(token: &str) -> Result<String, TokenError> {
    if token == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        return Ok(text.trim().trim_start_matches("Bearer ").to_owned());
    }
    Ok(token.trim().trim_start_matches("Bearer ").to_owned())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn command(root: &Path, action: &TokenAction, out: &mut dyn Write) -> Result<u8, TokenError> {
    match action {
        TokenAction::Decode { token } => {
            let token = read_token(token)?;
            let data = jsonwebtoken::dangerous::insecure_decode::<Value>(&token)
                .map_err(TokenError::NotAJwt)?;
            writeln!(
                out,
                "header  {}",
                serde_json::to_string_pretty(&data.header)?
            )?;
            writeln!(
                out,
                "claims  {}",
                serde_json::to_string_pretty(&data.claims)?
            )?;
            if let Some(exp) = data.claims.get("exp").and_then(Value::as_i64) {
                let left = exp - now();
                if left >= 0 {
                    writeln!(out, "expires in {left} s")?;
                } else {
                    writeln!(out, "expired {} s ago", -left)?;
                }
            }
            writeln!(
                out,
                "(not verified: `authgen token verify` checks it against this repository)"
            )?;
            Ok(0)
        }
        TokenAction::Verify { token, jwks } => {
            verify(root, &read_token(token)?, jwks.as_deref(), out)
        }
        TokenAction::Mint {
            sub,
            minutes,
            roles,
        } => {
            let expected = expected(root)?;
            if expected.algorithm != Algorithm::HS256 {
                return Err(TokenError::MintEddsa);
            }
            let Some(secret) = expected.secret else {
                return Err(TokenError::NoSecret);
            };
            let iat = now();
            let claims = json!({
                "sub": sub, "email": "dev@example.com", "name": "Dev", "role": roles.first().map_or("user", String::as_str),
                "profile_complete": true, "sid": uuid_like(), "jti": uuid_like(),
                "iat": iat, "exp": iat + i64::from(*minutes) * 60,
                "iss": expected.issuer, "aud": expected.audience,
            });
            let header = Header {
                typ: Some("at+jwt".to_owned()),
                ..Header::new(Algorithm::HS256)
            };
            let token = jsonwebtoken::encode(
                &header,
                &claims,
                &EncodingKey::from_secret(secret.as_bytes()),
            )
            .map_err(TokenError::Sign)?;
            writeln!(out, "{token}")?;
            Ok(0)
        }
    }
}

fn uuid_like() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("random source");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn verify(
    root: &Path,
    token: &str,
    jwks: Option<&str>,
    out: &mut dyn Write,
) -> Result<u8, TokenError> {
    let expected = expected(root)?;
    let mut failed = false;
    let mut report =
        |ok: bool, what: &str, detail: String, out: &mut dyn Write| -> std::io::Result<()> {
            failed |= !ok;
            let mark = if ok {
                paint(OK, "✓")
            } else {
                paint(ERR, "✗")
            };
            writeln!(out, "{mark} {what:10} {detail}")
        };
    let header = match jsonwebtoken::decode_header(token) {
        Ok(h) => h,
        Err(e) => {
            report(false, "format", format!("not a JWT: {e}"), out)?;
            return Ok(1);
        }
    };
    report(
        header.alg == expected.algorithm,
        "algorithm",
        format!(
            "token {:?}, verifier pins {:?}",
            header.alg, expected.algorithm
        ),
        out,
    )?;
    let typ = header.typ.as_deref().unwrap_or("(none)");
    report(
        typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt"),
        "type",
        format!("token typ {typ:?}, the verifiers require \"at+jwt\""),
        out,
    )?;
    let key = match expected.algorithm {
        Algorithm::HS256 => match &expected.secret {
            Some(secret) => Some(DecodingKey::from_secret(secret.as_bytes())),
            None => {
                report(
                    false,
                    "key",
                    "neither AUTH_JWT_KEY (backend .env) nor AUTH_SECRET (auth server .env) is set"
                        .into(),
                    out,
                )?;
                None
            }
        },
        _ => match jwks {
            Some(path) if !path.starts_with("http") => {
                let jwks_error =
                    |source: Box<dyn std::error::Error + Send + Sync>| TokenError::Jwks {
                        path: path.to_owned(),
                        source,
                    };
                let text = std::fs::read_to_string(path).map_err(|e| jwks_error(e.into()))?;
                let set: JwkSet = serde_json::from_str(&text).map_err(|e| jwks_error(e.into()))?;
                let found = header.kid.as_deref().and_then(|kid| set.find(kid));
                report(
                    found.is_some(),
                    "key",
                    format!(
                        "kid {:?} {} the JWKS",
                        header.kid,
                        if found.is_some() {
                            "is in"
                        } else {
                            "is not in"
                        }
                    ),
                    out,
                )?;
                found
                    .map(DecodingKey::from_jwk)
                    .transpose()
                    .map_err(|e| jwks_error(e.into()))?
            }
            _ => {
                report(
                    false,
                    "key",
                    format!(
                        "EdDSA needs the JWKS: `curl -o jwks.json {}` then `--jwks jwks.json`",
                        expected.jwks_url.as_deref().unwrap_or("<AUTH_JWKS_URL>")
                    ),
                    out,
                )?;
                None
            }
        },
    };
    let Some(key) = key else { return Ok(1) };
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = match jsonwebtoken::decode::<Value>(token, &key, &validation) {
        Ok(data) => {
            report(true, "signature", "valid".into(), out)?;
            data.claims
        }
        Err(e) => {
            report(
                false,
                "signature",
                format!("{e}: signed with another key or secret"),
                out,
            )?;
            return Ok(1);
        }
    };
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + LEEWAY >= now() => {
            report(true, "exp", format!("valid for {} s", exp - now()), out)?
        }
        Some(exp) => report(false, "exp", format!("expired {} s ago", now() - exp), out)?,
        None => report(
            false,
            "exp",
            "missing: the verifier requires it".into(),
            out,
        )?,
    }
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    report(
        iss == expected.issuer,
        "iss",
        format!("{iss:?}, verifier expects {:?}", expected.issuer),
        out,
    )?;
    let aud = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    report(
        aud == expected.audience,
        "aud",
        format!("{aud:?}, verifier expects {:?}", expected.audience),
        out,
    )?;
    for claim in ["sub", "sid", "jti"] {
        if claims.get(claim).is_none() {
            report(
                false,
                claim,
                "missing: the verifier requires it".into(),
                out,
            )?;
        }
    }
    Ok(u8::from(failed))
}
