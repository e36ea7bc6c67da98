//! `authgen doctor`: run the check catalog over a repository, report, and apply fixes.
//!
//! One [`Workspace`] walks the repo once and parses files lazily, at most once. Checks run
//! independently: one that fails or panics is reported as crashed and the others still report.
//! Fixes are byte-range edits; after applying them every changed file is re-parsed, and a
//! file whose fixes would break its syntax is left as it was.

pub mod checks;
pub mod command;
pub mod edits;
pub mod facts;
pub mod finding;
pub mod fix;
pub mod lang;
pub mod report;

pub mod workspace;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use serde::Serialize;

pub use finding::{Applicability, Edit, Finding, Fix, Severity};
pub use workspace::{SourceFile, Workspace};

use crate::diagnostics::{self, Diagnostic};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these check ids (all when empty).
    pub only: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Findings { findings: Vec<Finding> },
    Crashed { error: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub id: &'static str,
    pub title: String,
    pub severity: Severity,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl CheckReport {
    pub fn findings(&self) -> &[Finding] {
        match &self.outcome {
            Outcome::Findings { findings } => findings,
            _ => &[],
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checks: Vec<CheckReport>,
    /// Files that could not be read or parsed and were skipped, with the reason.
    pub skipped: Vec<String>,
}

impl Report {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.checks.iter().flat_map(|c| c.findings())
    }

    pub fn crashed(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Crashed { .. }))
    }

    pub fn passed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Passed))
            .count()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error("unknown check `{0}` (see `authgen doctor --list-checks`)")]
    UnknownCheck(String),
    #[error("{0}: not a directory")]
    NotADirectory(String),
    #[error(transparent)]
    Diagnostics(#[from] diagnostics::DiagnosticError),
}

/// Every check with its document.
pub type Catalog = Vec<(Box<dyn checks::Check>, Diagnostic)>;

/// The catalog: every check with its document.
pub fn catalog() -> Result<Catalog, DoctorError> {
    let docs = diagnostics::all()?;
    Ok(checks::all()
        .into_iter()
        .map(|check| {
            let doc = docs
                .iter()
                .find(|d| d.meta.id == check.id())
                .cloned()
                .unwrap_or_else(|| panic!("diagnostics/{}.md is missing", check.id()));
            (check, doc)
        })
        .collect())
}

/// Run the selected checks on `root`.
pub fn run(root: &Path, options: &Options) -> Result<Report, DoctorError> {
    if !root.is_dir() {
        return Err(DoctorError::NotADirectory(root.display().to_string()));
    }
    let catalog = catalog()?;
    for id in &options.only {
        if !catalog.iter().any(|(check, _)| check.id() == id) {
            return Err(DoctorError::UnknownCheck(id.clone()));
        }
    }
    let ws = Workspace::open(root);
    let mut reports = Vec::new();
    for (check, doc) in &catalog {
        if !options.only.is_empty() && !options.only.iter().any(|id| id == check.id()) {
            continue;
        }
        let default = Severity::parse(&doc.meta.severity);
        let result = catch_unwind(AssertUnwindSafe(|| check.run(&ws)));
        let outcome = match result {
            Ok(findings) if findings.is_empty() => Outcome::Passed,
            Ok(mut findings) => {
                for finding in &mut findings {
                    if !finding.severity_set {
                        finding.severity = default;
                    }
                    if finding.help.is_empty() {
                        finding.help = format!("see `authgen explain {}`", check.id());
                    }
                }
                findings.sort_by(|a, b| {
                    (&a.file, a.span[0], &a.message).cmp(&(&b.file, b.span[0], &b.message))
                });
                findings.dedup_by(|a, b| {
                    a.file == b.file && a.span == b.span && a.message == b.message
                });
                Outcome::Findings { findings }
            }
            Err(panic) => Outcome::Crashed {
                error: panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "panicked".to_owned()),
            },
        };
        reports.push(CheckReport {
            id: check.id(),
            title: doc.meta.title.clone(),
            severity: default,
            outcome,
        });
    }
    Ok(Report {
        checks: reports,
        skipped: ws.warnings(),
    })
}
