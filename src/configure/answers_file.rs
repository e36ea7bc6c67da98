//! `authgen.toml`: the recorded answers. Read with serde; rewritten with toml_edit so the
//! user's comments and formatting survive, and an unchanged answer is not touched at all.

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Value};

use super::{Answers, AuthConfig, BackendKind, Face, TakeOver, question};

pub const ANSWERS_FILE: &str = "authgen.toml";

const HEADER: &str = "\
# authgen answers for this repository. `authgen init` reads them, so a second run
# reproduces the first. Flags and AUTHGEN_* variables override them; see `authgen init --help`.
";

#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

/// The answers in `path`; `None` when the file does not exist.
pub fn read_answers(path: &Path) -> Result<Option<(Answers, String)>, AnswersError> {
    let shown = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(AnswersError::Read {
                path: shown,
                source,
            });
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| AnswersError::Parse {
        path: shown.clone(),
        message: "not UTF-8 text".into(),
    })?;
    let answers: Answers = toml::from_str(&text).map_err(|err| AnswersError::Parse {
        path: shown.clone(),
        message: err.to_string().trim_end().replace('\n', "\n  "),
    })?;
    Ok(Some((answers, text)))
}

/// The content of authgen.toml for `config`, starting from the existing text if any.
pub fn render_answers(existing: Option<&str>, config: &AuthConfig) -> String {
    let mut doc = existing
        .and_then(|text| text.parse::<DocumentMut>().ok())
        .unwrap_or_else(|| {
            let mut doc = DocumentMut::new();
            doc.decor_mut().set_prefix(HEADER);
            doc
        });
    let fresh = doc.is_empty();
    for (key, value) in entries(config) {
        match value {
            Some(value) => set(&mut doc, key, value, question(key).comment, fresh),
            None => {
                doc.remove(key);
            }
        }
    }
    doc.to_string()
}

/// Each answer's value (`None`: the key is removed), in [`QUESTIONS`] order.
fn entries(config: &AuthConfig) -> Vec<(&'static str, Option<Value>)> {
    let strings =
        |items: &[String]| Value::Array(items.iter().map(String::as_str).collect::<Array>());
    let backend_dir = (config.backend != BackendKind::None)
        .then(|| config.backend_dir.clone().map(Value::from))
        .flatten();
    vec![
        ("backend", Some(config.backend.as_str().into())),
        ("backend_dir", backend_dir),
        ("auth_dir", Some(config.auth_dir.as_str().into())),
        (
            "take_over",
            (config.take_over != TakeOver::None).then(|| config.take_over.as_str().into()),
        ),
        ("base_path", Some(config.base_path.as_str().into())),
        ("port", Some(i64::from(config.port).into())),
        (
            "methods",
            Some(Value::Array(
                config.methods.iter().map(|m| m.as_str()).collect::<Array>(),
            )),
        ),
        // Written when it is not the token API alone, or when discovery would choose
        // otherwise (a better-auth frontend): a re-run keeps the choice.
        (
            "faces",
            (config.faces != [Face::Token] || config.better_auth_frontend.is_some())
                .then(|| Value::Array(config.faces.iter().map(|f| f.as_str()).collect::<Array>())),
        ),
        (
            "email_verification",
            Some(config.email_verification.as_str().into()),
        ),
        ("algorithm", Some(config.algorithm.as_str().into())),
        (
            "session_validation",
            Some(config.session_validation.as_str().into()),
        ),
        (
            "access_minutes",
            Some(i64::from(config.access_minutes).into()),
        ),
        ("session_days", Some(i64::from(config.session_days).into())),
        ("cors_origins", Some(strings(&config.cors_origins))),
        ("deploy", Some(config.deploy.as_str().into())),
        ("records", Some(config.records.as_str().into())),
    ]
}

fn set(doc: &mut DocumentMut, key: &str, value: Value, comment: &str, fresh: bool) {
    match doc.get_mut(key) {
        Some(Item::Value(existing)) if same(existing, &value) => {}
        Some(Item::Value(existing)) => {
            let decor = existing.decor().clone();
            *existing = value;
            *existing.decor_mut() = decor;
        }
        _ => {
            doc.insert(key, Item::Value(value));
            if let Some(mut key_mut) = doc.as_table_mut().key_mut(key) {
                let blank = if fresh { "\n" } else { "" };
                key_mut
                    .leaf_decor_mut()
                    .set_prefix(format!("{blank}# {comment}\n"));
            }
        }
    }
}

/// Semantic equality, so `["a","b"]` and `[ "a", "b" ]` count as unchanged.
fn same(a: &Value, b: &Value) -> bool {
    let parse =
        |v: &Value| toml::from_str::<toml::Table>(&format!("v = {}", v.to_string().trim())).ok();
    parse(a).is_some() && parse(a) == parse(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configure::QUESTIONS;
    use crate::configure::*;

    fn config() -> AuthConfig {
        AuthConfig {
            backend: BackendKind::Fastapi,
            backend_dir: Some("backend".into()),
            auth_dir: "auth-server".into(),
            base_path: "/api/auth".into(),
            port: 4000,
            methods: vec![Method::Email],
            faces: vec![Face::Token],
            better_auth_frontend: None,
            take_over: TakeOver::None,
            take_over_dir: None,
            email_verification: EmailVerification::Off,
            algorithm: Algorithm::Eddsa,
            session_validation: SessionValidation::Jwt,
            access_minutes: 15,
            session_days: 7,
            cors_origins: vec!["http://localhost:3000".into()],
            deploy: DeployTarget::Docker,
            records: RecordsMode::Auto,
        }
    }

    /// authgen.toml holds exactly the answers of the QUESTIONS table, in its order.
    #[test]
    fn authgen_toml_follows_the_questions_table() {
        let keys: Vec<&str> = entries(&config()).iter().map(|(k, _)| *k).collect();
        let table: Vec<&str> = QUESTIONS.iter().map(|q| q.key).collect();
        assert_eq!(keys, table);
    }

    #[test]
    fn round_trip_reproduces_the_answers() {
        let text = render_answers(None, &config());
        let answers: Answers = toml::from_str(&text).unwrap();
        assert_eq!(answers.algorithm, Some(Algorithm::Eddsa));
        assert_eq!(answers.backend_dir.as_deref(), Some("backend"));
        assert_eq!(
            render_answers(Some(&text), &config()),
            text,
            "a second render changes nothing"
        );
    }

    #[test]
    fn user_comments_and_formatting_survive_a_change() {
        let existing =
            "# ours\nalgorithm = \"eddsa\"  # we rotate keys monthly\nmethods = [ \"email\" ]\n";
        let mut changed = config();
        changed.algorithm = Algorithm::Hs256;
        let text = render_answers(Some(existing), &changed);
        assert!(text.starts_with("# ours\n"), "{text}");
        assert!(
            text.contains("algorithm = \"hs256\"  # we rotate keys monthly"),
            "{text}"
        );
        assert!(
            text.contains("methods = [ \"email\" ]"),
            "unchanged value keeps its formatting: {text}"
        );
    }
}
