//! Doctor output: for people (`human`), and for CI (`json`, `sarif`, `github`).

mod human;
mod sarif;

use serde::Serialize;

pub use human::render as human;
pub use sarif::render as sarif;

use super::finding::Severity;
use super::{Finding, Outcome, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    summary: Summary,
    checks: &'a [super::CheckReport],
    skipped: &'a [String],
}

#[derive(Serialize)]
struct Summary {
    checks: usize,
    passed: usize,
    crashed: usize,
    errors: usize,
    warnings: usize,
}

/// Machine-readable report; paths are relative to the checked directory, so the output is
/// the same on every machine.
pub fn json(report: &Report) -> String {
    let count = |s: Severity| report.findings().filter(|f| f.severity == s).count();
    let out = JsonReport {
        version: 1,
        summary: Summary {
            checks: report.checks.len(),
            passed: report.passed(),
            crashed: report
                .checks
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Crashed { .. }))
                .count(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        },
        checks: &report.checks,
        skipped: &report.skipped,
    };
    let mut text = serde_json::to_string_pretty(&out).expect("report serializes");
    text.push('\n');
    text
}

/// GitHub Actions workflow commands: one annotation per finding, shown on the PR diff.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for finding in report.findings() {
        out.push_str(&annotation(finding));
    }
    for check in &report.checks {
        if let Outcome::Crashed { error } = &check.outcome {
            out.push_str(&format!(
                "::error title=authgen doctor: {} crashed::{}\n",
                check.id,
                escape_data(error)
            ));
        }
    }
    out.push_str(&format!(
        "authgen doctor: {}/{} checks passed\n",
        report.passed(),
        report.checks.len()
    ));
    out
}

fn annotation(f: &Finding) -> String {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        escape_property(&f.file),
        f.start.line,
        f.start.column,
        f.end.line,
        f.end.column,
        escape_property(&format!("authgen {}", f.check)),
        escape_data(&format!("{} — {}", f.message, f.help)),
    )
}

/// Workflow command escaping (actions/toolkit `escapeData` / `escapeProperty`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
