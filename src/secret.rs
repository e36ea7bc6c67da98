//! Secrets: generating one, and writing it into env files without disturbing the rest.

use std::path::Path;

/// 32 random bytes from the OS, as 64 lowercase hex digits.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// Where `authgen secret --write` puts the secret: `(env file, key)`.
///
/// With authgen.toml: `AUTH_SECRET` in the auth server's `.env`, and in the backend's `.env`
/// too when tokens are HS256 (the verifier needs the same bytes). Without it: every env file
/// with real values that already defines one of [`SECRET_KEYS`].
pub fn targets(ws: &crate::doctor::Workspace) -> Vec<(String, String)> {
    if let Some((answers, _)) = crate::doctor::facts::answers(ws) {
        let auth_dir = answers
            .auth_dir
            .clone()
            .unwrap_or_else(|| "auth-server".to_owned());
        let mut out = vec![(
            crate::discover::join_rel(&auth_dir, ".env"),
            "AUTH_SECRET".to_owned(),
        )];
        if answers.algorithm == Some(crate::configure::Algorithm::Hs256) {
            if let Some(backend) = answers.backend_dir.as_deref() {
                out.push((
                    crate::discover::join_rel(backend, ".env"),
                    "AUTH_SECRET".to_owned(),
                ));
            }
        }
        return out;
    }
    let mut out = Vec::new();
    for file in crate::doctor::facts::value_env_files(ws) {
        for key in SECRET_KEYS {
            if file.env_value(key).is_some() {
                out.push((file.rel.clone(), (*key).to_owned()));
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
    for (rel, key) in &targets {
        write_env(root, rel, key, &secret).map_err(|source| SecretError::Write {
            path: rel.clone(),
            source,
        })?;
    }
    for (rel, key) in &targets {
        let ignored = ws.is_ignored(rel);
        writeln!(
            out,
            "wrote a fresh {key} to {rel}{}",
            if ignored {
                ""
            } else {
                "  (not covered by .gitignore: run `authgen doctor --fix`)"
            }
        )?;
    }
    writeln!(
        out,
        "The value is not shown. Restart the auth server; existing sessions end."
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
