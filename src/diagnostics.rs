//! The check catalog's documents (`diagnostics/<id>.md`), embedded in the binary. They feed
//! `explain`, the doctor's hints and the generated TROUBLESHOOTING.md.

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

static DOCUMENTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/diagnostics");

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FrontMatter {
    pub id: String,
    pub title: String,
    pub severity: String,
    #[serde(default)]
    pub stacks: Vec<String>,
    #[serde(default)]
    pub fix: Option<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    #[serde(flatten)]
    pub meta: FrontMatter,
    /// The first paragraph of the body.
    pub summary: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
#[error("diagnostics/{file}: {message}")]
pub struct DiagnosticError {
    pub file: String,
    pub message: String,
}

/// Every document, sorted by id.
pub fn all() -> Result<Vec<Diagnostic>, DiagnosticError> {
    let mut docs = Vec::new();
    for file in DOCUMENTS.files() {
        let name = file.path().to_string_lossy().into_owned();
        if !name.ends_with(".md") || name == "README.md" {
            continue;
        }
        let text = file.contents_utf8().ok_or_else(|| DiagnosticError {
            file: name.clone(),
            message: "not UTF-8".into(),
        })?;
        docs.push(parse(text).map_err(|message| DiagnosticError {
            file: name,
            message,
        })?);
    }
    docs.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    Ok(docs)
}

/// Split `---\nYAML\n---\nbody` and read both parts.
pub fn parse(text: &str) -> Result<Diagnostic, String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or("does not start with a `---` front matter line")?;
    let (yaml, body) = rest
        .split_once("\n---\n")
        .ok_or("front matter is not closed by `---`")?;
    let meta: FrontMatter = serde_yaml::from_str(yaml).map_err(|e| format!("front matter: {e}"))?;
    let body = body.trim().to_owned();
    let summary = body
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ");
    Ok(Diagnostic {
        meta,
        summary,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_summary() {
        let doc = parse("---\nid: x\ntitle: T\nseverity: error\npatterns: [\"boom\"]\n---\n\nFirst\nline.\n\n## More\n").unwrap();
        assert_eq!(doc.meta.id, "x");
        assert_eq!(doc.meta.patterns, ["boom"]);
        assert_eq!(doc.summary, "First line.");
    }

    #[test]
    fn missing_front_matter_is_an_error() {
        assert!(parse("# no front matter\n").is_err());
    }
}
