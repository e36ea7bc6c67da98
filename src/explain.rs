//! `authgen explain`: a check id or a pasted error message → the checks that explain it, run
//! on the repository, and their documents.

use std::io::Write;
use std::path::Path;

use crate::diagnostics::{self, Diagnostic};
use crate::doctor::{self, Options};
use crate::ui::{BOLD, DIM, paint};

/// Documents whose id is `query`, or any of whose error patterns occurs in it. A pattern
/// matches when each of its words occurs in the message (case-insensitive), so
/// "404 /api/auth" matches "GET /api/auth/session 404 (Not Found)".
pub fn matches<'d>(docs: &'d [Diagnostic], query: &str) -> Vec<&'d Diagnostic> {
    let trimmed = query.trim();
    if let Some(doc) = docs.iter().find(|d| d.meta.id == trimmed) {
        return vec![doc];
    }
    let message = query.to_lowercase();
    docs.iter()
        .filter(|doc| {
            doc.meta.patterns.iter().any(|pattern| {
                let pattern = pattern.to_lowercase();
                message.contains(&pattern)
                    || pattern.split_whitespace().count() > 1
                        && pattern
                            .split_whitespace()
                            .all(|word| message.contains(word))
            })
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Diagnostics(#[from] diagnostics::DiagnosticError),
    #[error(transparent)]
    Doctor(#[from] doctor::DoctorError),
    #[error(transparent)]
    Output(#[from] std::io::Error),
}

pub fn command(
    root: &Path,
    query: &str,
    out: &mut dyn Write,
    color: bool,
) -> Result<u8, ExplainError> {
    let docs = diagnostics::all()?;
    let found = matches(&docs, query);
    if found.is_empty() {
        writeln!(
            out,
            "No check explains that message. `authgen doctor --list-checks` lists them; `authgen doctor` runs them all."
        )?;
        return Ok(1);
    }
    let ids: Vec<String> = found.iter().map(|d| d.meta.id.clone()).collect();
    writeln!(
        out,
        "{} {}\n",
        paint(BOLD, "Matching checks:"),
        ids.join(", ")
    )?;
    let report = doctor::run(root, &Options { only: ids.clone() })?;
    write!(out, "{}", doctor::report::human(&report, root, color))?;
    for doc in found {
        writeln!(
            out,
            "\n{}\n{}\n\n{}",
            paint(BOLD, format!("{} — {}", doc.meta.id, doc.meta.title)),
            paint(DIM, "─".repeat(60)),
            doc.body
        )?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(query: &str) -> Vec<String> {
        let docs = diagnostics::all().unwrap();
        matches(&docs, query)
            .iter()
            .map(|d| d.meta.id.clone())
            .collect()
    }

    #[test]
    fn pasted_errors_name_their_checks() {
        assert_eq!(ids("inet-column"), ["inet-column"]);
        assert!(ids("Error [ERR_REQUIRE_ESM]: require() of ES Module /app/node_modules/better-auth/dist/index.mjs").contains(&"esm-module".to_owned()));
        assert!(
            ids("error: column \"ip_address\" is of type inet but expression is of type text")
                .contains(&"inet-column".to_owned())
        );
        assert!(ids("Access to fetch at 'http://localhost:3001/api/auth/sign-in/email' from origin 'http://localhost:3000' has been blocked by CORS policy").contains(&"cors-credentials".to_owned()));
        assert!(
            ids("[Better Auth]: Invalid origin: https://app.example.com")
                .contains(&"cors-credentials".to_owned())
        );
        assert!(ids("Invalid or expired session").contains(&"session-validation".to_owned()));
        assert!(
            ids("GET /api/auth/get-session 404 (Not Found)").contains(&"route-order".to_owned())
        );
        assert!(ids("401 on every request").contains(&"session-validation".to_owned()));
        assert!(ids("the weather is nice").is_empty());
    }
}
