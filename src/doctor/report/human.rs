//! The report for people: one line per check (`✓`, `!`, `✗`), code frames for findings
//! (annotate-snippets), the fix hint, and `N/M checks passed`.

use std::path::Path;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::doctor::finding::{Applicability, Finding, Severity};
use crate::doctor::workspace::{Lang, parse_env};
use crate::doctor::{Outcome, Report};
use crate::ui::{DIM, ERR, OK, WARN, paint};

pub fn render(report: &Report, root: &Path, color: bool) -> String {
    let renderer = if color {
        Renderer::styled().decor_style(DecorStyle::Unicode)
    } else {
        Renderer::plain().decor_style(DecorStyle::Unicode)
    };
    let width = report.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for check in &report.checks {
        let findings = check.findings();
        let worst = findings.iter().map(|f| f.severity).max();
        let (mark, summary) = match (&check.outcome, worst) {
            (Outcome::Passed, _) => (paint(OK, "✓"), paint(DIM, &check.title)),
            (Outcome::Crashed { error }, _) => (
                paint(ERR, "✗"),
                format!("{} {error}", paint(ERR, "crashed:")),
            ),
            (Outcome::Findings { .. }, Some(Severity::Error)) => {
                (paint(ERR, "✗"), count(findings.iter()))
            }
            (Outcome::Findings { .. }, _) => (paint(WARN, "!"), count(findings.iter())),
        };
        out.push_str(&format!("{mark} {:width$}  {summary}\n", check.id));
        for finding in findings {
            out.push_str(&frame(&renderer, root, finding));
            out.push('\n');
        }
    }
    let findings: Vec<&Finding> = report.findings().collect();
    let fixable = |a: Applicability| {
        findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|fix| fix.applicability == a))
            .count()
    };
    out.push('\n');
    let mut summary = format!("{}/{} checks passed", report.passed(), report.checks.len());
    if !findings.is_empty() {
        summary.push_str(&format!(" · {}", count(findings.iter().copied())));
    }
    let (safe, unsafe_) = (fixable(Applicability::Safe), fixable(Applicability::Unsafe));
    if safe > 0 {
        summary.push_str(&format!(" · {safe} fixable with `authgen doctor --fix`"));
    }
    if unsafe_ > 0 {
        summary.push_str(&format!(
            " · {unsafe_} more with `--fix --unsafe-fixes` (review with `--diff` first)"
        ));
    }
    out.push_str(&summary);
    out.push('\n');
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "{} {} file(s) skipped:\n",
            paint(WARN, "note:"),
            report.skipped.len()
        ));
        for skipped in report.skipped.iter().take(10) {
            out.push_str(&format!("  {}\n", paint(DIM, skipped)));
        }
        if report.skipped.len() > 10 {
            out.push_str(&format!(
                "  {}\n",
                paint(DIM, format!("... and {} more", report.skipped.len() - 10))
            ));
        }
    }
    out
}

fn count<'a>(findings: impl Iterator<Item = &'a Finding>) -> String {
    let (mut errors, mut warnings) = (0, 0);
    for finding in findings {
        match finding.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
    }
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(paint(ERR, format!("{errors} error{}", plural(errors))));
    }
    if warnings > 0 {
        parts.push(paint(
            WARN,
            format!("{warnings} warning{}", plural(warnings)),
        ));
    }
    parts.join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn frame(renderer: &Renderer, root: &Path, finding: &Finding) -> String {
    let level = match finding.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut text = std::fs::read_to_string(root.join(&finding.file)).unwrap_or_default();
    if Lang::of(&finding.file) == Lang::Env {
        text = mask_env_values(&text);
    }
    let span = finding.span[0].min(text.len())..finding.span[1].min(text.len());
    let mut groups = Vec::new();
    let title = level
        .primary_title(finding.message.as_str())
        .id(finding.check);
    if text.is_empty() || !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
        groups.push(Group::with_title(title));
    } else {
        groups.push(
            title.element(
                Snippet::source(text.as_str())
                    .line_start(1)
                    .path(finding.file.as_str())
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(span)),
            ),
        );
    }
    groups.push(Group::with_title(
        Level::HELP.secondary_title(finding.help.as_str()),
    ));
    if let Some(fix) = &finding.fix {
        let how = match fix.applicability {
            Applicability::Safe => "safe fix, applied by `--fix`",
            Applicability::Unsafe => "unsafe fix, applied by `--fix --unsafe-fixes`",
            Applicability::DisplayOnly if fix.edits.is_empty() => "by hand",
            Applicability::DisplayOnly => "shown by `--diff`, never applied",
        };
        let note = format!("fix: {} ({how})", fix.description);
        groups.push(Group::with_title(Level::NOTE.secondary_title(note)));
    }
    let rendered = renderer.render(&groups);
    rendered.lines().map(|line| format!("  {line}\n")).collect()
}

/// Env files hold secrets: frames show their values as `*` (same length, so spans still fit).
fn mask_env_values(text: &str) -> String {
    let mut masked = text.to_owned();
    for entry in parse_env(text) {
        let sensitive = ["SECRET", "KEY", "TOKEN", "PASSWORD", "DATABASE_URL"]
            .iter()
            .any(|k| entry.key.contains(k));
        if sensitive && !entry.value.is_empty() {
            let stars = "*".repeat(entry.value_span.len());
            masked.replace_range(entry.value_span.clone(), &stars);
        }
    }
    masked
}
