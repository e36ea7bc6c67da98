//! Secrets: generating one, and writing it into env files without disturbing the rest.

use std::path::Path;

/// 32 random bytes from the OS, as 64 lowercase hex digits.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The HS256 key a generated auth server signs with, derived from its AUTH_SECRET (HKDF-
/// SHA256, no salt, its own label; hex): what the backend holds as `AUTH_JWT_KEY`, so the
/// root secret never leaves the auth server. The same derivation as the server's
/// `keys::verifier_key`.
pub fn hs256_verifier_key(secret: &str) -> String {
    let mut key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, secret.as_bytes())
        .expand(b"authgen access tokens hs256 v1", &mut key)
        .expect("32 bytes is a valid HKDF output length");
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a fix writes where a fresh secret goes. Reports and diffs show this marker; the
/// secret itself is generated when the fix is written, once per run, and never printed.
pub const FRESH_MARKER: &str = "<fresh 32-byte secret>";

/// Keys that hold a signing secret in the stacks authgen knows.
pub const SECRET_KEYS: &[&str] = &[
    "AUTH_SECRET",
    "BETTER_AUTH_SECRET",
    "JWT_SECRET",
    "JWT_SECRET_KEY",
    "NEXTAUTH_SECRET",
    "SECRET_KEY",
];

/// Keys an HS256 verifier holds instead of the secret: [`hs256_verifier_key`] of the auth
/// server's AUTH_SECRET, so never a value generated on its own.
pub const VERIFIER_KEYS: &[&str] = &["AUTH_JWT_KEY"];

/// Whether `key` names a signing secret or a key derived from one ([`SECRET_KEYS`],
/// [`VERIFIER_KEYS`]): whoever has its value can sign tokens.
pub fn is_signing_secret_name(key: &str) -> bool {
    SECRET_KEYS.contains(&key) || VERIFIER_KEYS.contains(&key)
}

/// Whether `key` names a credential worth keeping out of git: a signing secret, or any
/// `*SECRET*`, `*KEY*`, `*TOKEN*`, `*PASSWORD*`, `*PASSWD*`, `*CREDENTIALS*` variable.
pub fn is_credential_name(key: &str) -> bool {
    is_signing_secret_name(key)
        || [
            "SECRET",
            "KEY",
            "TOKEN",
            "PASSWORD",
            "PASSWD",
            "CREDENTIALS",
        ]
        .iter()
        .any(|k| key.contains(k))
}

const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "your-",
    "your_",
    "xxx",
    "todo",
    "replace",
    "example",
    "placeholder",
    "<",
    "supersecret",
    "mysecret",
    "password",
    "insecure",
];

/// Why a secret value is too weak to sign tokens, if it is.
pub fn weakness(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return Some("looks like a placeholder".to_owned());
    }
    if value.len() < 32 {
        return Some(format!("is {} bytes; it needs at least 32", value.len()));
    }
    let mut distinct: Vec<char> = value.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 10 {
        return Some(format!("has only {} distinct characters", distinct.len()));
    }
    None
}

/// `text` (an env file) with `key` set to `value`: the last assignment's value is replaced in
/// place, or a line is appended.
pub fn set_env(text: &str, key: &str, value: &str) -> String {
    let entries = crate::doctor::workspace::parse_env(text);
    if let Some(entry) = entries.iter().rev().find(|e| e.key == key) {
        let mut out = text.to_owned();
        out.replace_range(entry.value_span.clone(), value);
        return out;
    }
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{key}={value}\n"));
    out
}

/// Write `key=value` into `root/rel` (created if missing), atomically.
pub fn write_env(root: &Path, rel: &str, key: &str, value: &str) -> std::io::Result<()> {
    let path = root.join(rel);
    let old = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{rel}: not UTF-8"))
        })?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err),
    };
    let new = set_env(&old, key, value);
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, new.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).map_or(0o600, |m| m.permissions().mode());
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))?;
    }
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// What `authgen secret --write` writes under a key: the secret, or what is derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Secret,
    /// [`hs256_verifier_key`] of the secret: an HS256 backend's `AUTH_JWT_KEY`.
    VerifierKey,
}

/// Where `authgen secret --write` puts the secret: `(env file, key, what)`.
///
/// With authgen.toml: `AUTH_SECRET` in the auth server's `.env`, and with HS256 the key
/// derived from it as `AUTH_JWT_KEY` in the backend's `.env`. Without it: every env file with
/// real values that already defines one of [`SECRET_KEYS`].
pub fn targets(ws: &crate::doctor::Workspace) -> Vec<(String, String, Written)> {
    if let Some((answers, _)) = crate::doctor::facts::answers(ws) {
        let auth_dir = answers
            .auth_dir
            .clone()
            .unwrap_or_else(|| "auth-server".to_owned());
        let mut out = vec![(
            crate::discover::join_rel(&auth_dir, ".env"),
            "AUTH_SECRET".to_owned(),
            Written::Secret,
        )];
        if answers.algorithm == Some(crate::configure::Algorithm::Hs256)
            && let Some(backend) = answers.backend_dir.as_deref()
        {
            out.push((
                crate::discover::join_rel(backend, ".env"),
                "AUTH_JWT_KEY".to_owned(),
                Written::VerifierKey,
            ));
        }
        return out;
    }
    let mut out = Vec::new();
    for file in crate::doctor::facts::value_env_files(ws) {
        for key in SECRET_KEYS {
            if file.env_value(key).is_some() {
                out.push((file.rel.clone(), (*key).to_owned(), Written::Secret));
            }
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "nothing to write to: no authgen.toml and no .env file defines {}; run `authgen secret` and put the value where your server reads it",
        SECRET_KEYS.join(", ")
    )]
    NoTarget,
    #[error("{path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] std::io::Error),
}

/// `authgen secret [--write]`.
pub fn command(root: &Path, write: bool, out: &mut dyn std::io::Write) -> Result<(), SecretError> {
    let secret = generate();
    if !write {
        writeln!(out, "{secret}")?;
        return Ok(());
    }
    let ws = crate::doctor::Workspace::open(root);
    let targets = targets(&ws);
    if targets.is_empty() {
        return Err(SecretError::NoTarget);
    }
    let mut kept_previous = Vec::new();
    for (rel, key, written) in &targets {
        // A generated server's old AUTH_SECRET stays readable as AUTH_SECRET_PREVIOUS: its
        // signing keys were stored under it, and the server re-encrypts them at its next start
        // (it refuses to start on keys it cannot open).
        if key == "AUTH_SECRET" && crate::doctor::facts::answers(&ws).is_some() {
            let old = ws
                .source(rel)
                .and_then(|f| f.env_value(key).map(|e| e.value.clone()))
                .filter(|v| weakness(v).is_none());
            if let Some(old) = old {
                write_env(root, rel, "AUTH_SECRET_PREVIOUS", &old).map_err(|source| {
                    SecretError::Write {
                        path: rel.clone(),
                        source,
                    }
                })?;
                kept_previous.push(rel.clone());
            }
        }
        let value = match written {
            Written::Secret => secret.clone(),
            Written::VerifierKey => hs256_verifier_key(&secret),
        };
        write_env(root, rel, key, &value).map_err(|source| SecretError::Write {
            path: rel.clone(),
            source,
        })?;
    }
    for (rel, key, written) in &targets {
        let ignored = ws.is_ignored(rel);
        let what = match written {
            Written::Secret => format!("a fresh {key}"),
            Written::VerifierKey => format!("{key} (the HS256 key derived from it)"),
        };
        writeln!(
            out,
            "wrote {what} to {rel}{}",
            if ignored {
                ""
            } else {
                "  (not covered by .gitignore: run `authgen doctor --fix`)"
            }
        )?;
    }
    for rel in &kept_previous {
        writeln!(
            out,
            "kept the old value as AUTH_SECRET_PREVIOUS in {rel}: the server moves its signing keys to the new secret at its next start; remove it once every replica has restarted"
        )?;
    }
    writeln!(
        out,
        "The values are not shown. Restart the auth server{}.",
        if targets.iter().any(|(_, _, w)| *w == Written::VerifierKey) {
            " and the backend together"
        } else {
            ""
        }
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_64_hex_digits_and_differ() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(weakness(&a), None);
    }

    #[test]
    fn weak_values() {
        assert!(weakness("changeme").is_some());
        assert!(weakness("your-secret-here-with-enough-length-xyz").is_some());
        assert!(weakness("short-but-random-Q9").is_some());
        assert!(weakness(&"ab".repeat(20)).is_some());
    }

    #[test]
    fn set_env_replaces_in_place_or_appends() {
        assert_eq!(
            set_env("A=1\nAUTH_SECRET=old # c\nB=2\n", "AUTH_SECRET", "new"),
            "A=1\nAUTH_SECRET=new # c\nB=2\n"
        );
        assert_eq!(
            set_env("A=1", "AUTH_SECRET", "new"),
            "A=1\nAUTH_SECRET=new\n"
        );
        assert_eq!(
            set_env("AUTH_SECRET=\"x\"\n", "AUTH_SECRET", "new"),
            "AUTH_SECRET=new\n"
        );
    }
}
