//! Stage 6: Spec-Kit Plus records. Prompt history records (PHR) under
//! `history/prompts/<feature>/` at the milestones Spec-Kit Plus defines — stage `spec` after
//! configuration, `plan` after generation, `red` or `green` after diagnostics — and, with
//! consent, three architecture decision records under `history/adr/`.

use std::path::Path;

use serde::Serialize;
use tera::{Context, Tera};

use crate::configure::Configured;
use crate::discover::Project;
use crate::doctor::{self, Severity};
use crate::generate::{Applied, GenerateError, Plan, Source, Templates, write_atomic};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Template(#[from] GenerateError),
}

/// One prompt history record, before an id is allocated.
#[derive(Debug, Clone)]
pub struct Phr {
    pub title: String,
    /// Spec-Kit stage for feature records: spec, plan, red, green, misc, ...
    pub stage: &'static str,
    pub labels: Vec<&'static str>,
    pub prompt: String,
    pub response: String,
    pub outcome: String,
    pub files: Vec<String>,
    pub tests: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PhrFront<'a> {
    id: u32,
    title: &'a str,
    stage: &'a str,
    date: String,
    surface: &'static str,
    model: &'static str,
    feature: &'a str,
    branch: &'a str,
    user: &'a str,
    command: &'a str,
    labels: &'a [&'static str],
    links: Links<'a>,
    files: &'a [String],
    tests: &'a [String],
}

#[derive(Debug, Serialize)]
struct Links<'a> {
    spec: Option<&'a str>,
    ticket: Option<&'a str>,
    adr: Option<&'a str>,
    pr: Option<&'a str>,
}

/// What `authgen init` did, as the records describe it.
pub struct InitRun<'a> {
    pub project: &'a Project,
    pub configured: &'a Configured,
    /// The command line.
    pub command: &'a str,
    /// The discovery results as the init report printed them (plain text).
    pub discovered: &'a str,
}

/// What the checks after writing found.
pub struct Checked<'a> {
    /// Files read back and matched against the manifest hashes.
    pub verified: usize,
    /// The doctor's report on the repository, `None` when it could not run.
    pub doctor: Option<&'a doctor::Report>,
}

/// The three records of an init run that wrote files: configuration (`spec`), generation
/// (`plan`) and, unless `--no-doctor`, diagnostics (`red` when a check failed at error
/// severity or crashed, `green` when all passed).
pub fn init_phrs(
    run: &InitRun<'_>,
    plan: &Plan,
    applied: &Applied,
    checked: Option<&Checked<'_>>,
) -> Vec<Phr> {
    let command = run.command;
    let c = &run.configured.config;
    let answers: Vec<String> = run
        .configured
        .origins
        .iter()
        .map(|(key, origin)| format!("- {key}: {} ({origin})", c.answer_text(key)))
        .collect();
    let answers_file = plan
        .changes
        .iter()
        .find(|ch| ch.source == Source::Answers)
        .map(|ch| ch.path.clone());
    let template_files = plan
        .changes
        .iter()
        .filter(|ch| ch.writes() && matches!(ch.source, Source::Template(_)))
        .count();
    let conflicts: Vec<String> = plan.conflicts().map(|ch| ch.path.clone()).collect();
    let mut phrs = vec![
        Phr {
            title: "Auth configuration selected".into(),
            stage: "spec",
            labels: vec!["authgen", "auth", "configuration"],
            prompt: format!("`{command}`"),
            response: format!(
                "Answers recorded in authgen.toml:\n\n{}\n\nDiscovered:\n\n```text\n{}\n```",
                answers.join("\n"),
                run.discovered.trim_end()
            ),
            outcome: format!(
                "- Impact: auth server in `{}/`, {} tokens, {} session validation.\n- Next prompts: generate the auth server.",
                c.auth_dir, c.algorithm, c.session_validation
            ),
            files: answers_file.into_iter().collect(),
            tests: Vec::new(),
        },
        Phr {
            title: "Auth components generated".into(),
            stage: "plan",
            labels: vec!["authgen", "auth", "generation"],
            prompt: format!("`{command}`"),
            response: format!(
                "Wrote {} file(s):\n\n{}{}{}",
                applied.written.len(),
                bullets(&applied.written),
                if applied.removed.is_empty() {
                    String::new()
                } else {
                    format!("\n\nRemoved (obsolete):\n\n{}", bullets(&applied.removed))
                },
                if conflicts.is_empty() {
                    String::new()
                } else {
                    format!(
                        "\n\nKept because edited (conflicts):\n\n{}",
                        bullets(&conflicts)
                    )
                }
            ),
            outcome: format!(
                "- Impact: {template_files} generated file(s) recorded in .authgen/manifest.toml.\n- Next prompts: review SETUP.md in `{}/`.",
                c.auth_dir
            ),
            files: applied.written.clone(),
            tests: Vec::new(),
        },
    ];
    if let Some(checked) = checked {
        phrs.push(diagnostics_phr(command, checked));
    }
    phrs
}

fn bullets(items: &[String]) -> String {
    items
        .iter()
        .map(|p| format!("- {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn diagnostics_phr(command: &str, checked: &Checked<'_>) -> Phr {
    let verified = format!(
        "{} written file(s) read back; content and manifest hashes match.",
        checked.verified
    );
    let mut tests = vec![format!(
        "post-write verification of {} file(s)",
        checked.verified
    )];
    let (failed, results, files) = match checked.doctor {
        None => (
            true,
            "`authgen doctor` could not run on the repository.".to_owned(),
            Vec::new(),
        ),
        Some(report) => {
            let failed =
                report.crashed() || report.findings().any(|f| f.severity >= Severity::Error);
            let mut lines = vec![format!(
                "`authgen doctor`: {}/{} checks passed.",
                report.passed(),
                report.checks.len()
            )];
            let mut files = Vec::new();
            for check in &report.checks {
                let status = match &check.outcome {
                    doctor::Outcome::Passed => "passed".to_owned(),
                    doctor::Outcome::Findings { findings } => {
                        format!("{} finding(s)", findings.len())
                    }
                    doctor::Outcome::Crashed { error } => format!("crashed: {error}"),
                };
                lines.push(format!("- {}: {status}", check.id));
                for finding in check.findings() {
                    lines.push(format!(
                        "  - {} {}:{}:{}: {}",
                        finding.severity.as_str(),
                        finding.file,
                        finding.start.line,
                        finding.start.column,
                        finding.message
                    ));
                    if !files.contains(&finding.file) {
                        files.push(finding.file.clone());
                    }
                }
                tests.push(format!("authgen doctor --check {}", check.id));
            }
            let fixable = report
                .findings()
                .filter(|f| {
                    f.fix
                        .as_ref()
                        .is_some_and(|fix| fix.applicability != doctor::Applicability::DisplayOnly)
                })
                .count();
            lines.push(String::new());
            lines.push(if fixable == 0 {
                "Fixes applied: none.".to_owned()
            } else {
                format!(
                    "Fixes applied: none (init only reports); {fixable} finding(s) have a fix: `authgen doctor --diff` shows them, `authgen doctor --fix` applies the safe ones (add `--unsafe-fixes` for those to review)."
                )
            });
            (failed, lines.join("\n"), files)
        }
    };
    Phr {
        title: "Auth integration diagnostics completed".into(),
        stage: if failed { "red" } else { "green" },
        labels: vec!["authgen", "auth", "diagnostics"],
        prompt: format!("`{command}` (post-write checks)"),
        response: format!("{verified}\n\n{results}"),
        outcome: if failed {
            "- Impact: the auth integration has failing diagnostics.\n- Next prompts: `authgen doctor` for details and fixes, then run it again until it passes.".into()
        } else {
            "- Impact: every diagnostic passed.\n- Next prompts: run `authgen doctor` after editing the generated code.".into()
        },
        files,
        tests,
    }
}

/// `004-auth-server` → `auth-server`; `feature/login` → `login`; main/master → none.
pub fn feature_from_branch(branch: Option<&str>) -> Option<String> {
    let branch = branch?.rsplit('/').next()?;
    if matches!(
        branch,
        "main" | "master" | "develop" | "dev" | "trunk" | "HEAD"
    ) || branch.is_empty()
    {
        return None;
    }
    let rest = branch.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = if rest.len() < branch.len() {
        rest.trim_start_matches(['-', '_'])
    } else {
        branch
    };
    (!rest.is_empty()).then(|| rest.to_owned())
}

pub struct Recorder<'a> {
    pub root: &'a Path,
    pub branch: Option<&'a str>,
    pub user: String,
    pub command: &'a str,
    pub date: String,
}

impl Recorder<'_> {
    /// Write the records; returns their repo-relative paths.
    pub fn write_phrs(&self, records: &[Phr]) -> Result<Vec<String>, RecordError> {
        let feature = feature_from_branch(self.branch);
        let dir_name = feature.clone().unwrap_or_else(|| "general".to_owned());
        let dir_rel = format!("history/prompts/{dir_name}");
        let dir = self.root.join(&dir_rel);
        let first = next_id(&dir, ".prompt.md");
        let spec = self
            .branch
            .map(|b| format!("specs/{b}/spec.md"))
            .filter(|s| self.root.join(s).is_file());
        let mut written = Vec::new();
        for (next, record) in (first..).zip(records) {
            let stage = if feature.is_some() {
                record.stage
            } else {
                "general"
            };
            let front = PhrFront {
                id: next,
                title: &record.title,
                stage,
                date: self.date.clone(),
                surface: "cli",
                model: "none (authgen)",
                feature: feature.as_deref().unwrap_or("none"),
                branch: self.branch.unwrap_or("none"),
                user: &self.user,
                command: self.command,
                labels: &record.labels,
                links: Links {
                    spec: spec.as_deref(),
                    ticket: None,
                    adr: None,
                    pr: None,
                },
                files: &record.files,
                tests: &record.tests,
            };
            let yaml = serde_yaml::to_string(&front).map_err(|e| RecordError::Io {
                path: dir_rel.clone(),
                message: e.to_string(),
            })?;
            let text = format!(
                "---\n{yaml}---\n\n## Prompt\n\n{}\n\n## Response snapshot\n\n{}\n\n## Outcome\n\n{}\n",
                record.prompt.trim_end(),
                record.response.trim_end(),
                record.outcome.trim_end()
            );
            let name = format!("{next:04}-{}.{stage}.prompt.md", slug(&record.title));
            let rel = format!("{dir_rel}/{name}");
            write_atomic(&self.root.join(&rel), text.as_bytes()).map_err(|e| RecordError::Io {
                path: rel.clone(),
                message: e.to_string(),
            })?;
            written.push(rel);
        }
        Ok(written)
    }

    /// The three ADRs, each written unless an ADR with the same slug already exists.
    pub fn write_adrs(
        &self,
        templates: &Templates,
        ctx: &Context,
    ) -> Result<Vec<String>, RecordError> {
        let dir = self.root.join("history/adr");
        let mut next = next_id(&dir, ".md");
        let mut written = Vec::new();
        for (slug, template) in ADRS {
            if adr_exists(&dir, slug) {
                continue;
            }
            let source = templates
                .get(template)
                .ok_or_else(|| GenerateError::Template {
                    name: (*template).into(),
                    message: "missing".into(),
                })?;
            let mut ctx = ctx.clone();
            ctx.insert("adr_id", &format!("{next:04}"));
            ctx.insert("date", &self.date);
            let text =
                Tera::one_off(source, &ctx, false).map_err(|source| GenerateError::Render {
                    name: (*template).into(),
                    source,
                })?;
            let rel = format!("history/adr/{next:04}-{slug}.md");
            write_atomic(&self.root.join(&rel), text.as_bytes()).map_err(|e| RecordError::Io {
                path: rel.clone(),
                message: e.to_string(),
            })?;
            written.push(rel);
            next += 1;
        }
        Ok(written)
    }

    /// Which ADRs would be written (those not present yet).
    pub fn missing_adrs(&self) -> Vec<&'static str> {
        let dir = self.root.join("history/adr");
        ADRS.iter()
            .filter(|(slug, _)| !adr_exists(&dir, slug))
            .map(|(slug, _)| *slug)
            .collect()
    }
}

const ADRS: &[(&str, &str)] = &[
    (
        "separate-auth-server",
        "records/adr-separate-auth-server.md.tera",
    ),
    (
        "session-validation-strategy",
        "records/adr-session-validation-strategy.md.tera",
    ),
    ("shared-database", "records/adr-shared-database.md.tera"),
];

fn adr_exists(dir: &Path, slug: &str) -> bool {
    let suffix = format!("-{slug}.md");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(&suffix))
        })
        .unwrap_or(false)
}

/// One more than the largest `NNNN-` prefix among files ending in `suffix`.
fn next_id(dir: &Path, suffix: &str) -> u32 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 1;
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(suffix) {
                return None;
            }
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .max()
        .map_or(1, |max| max + 1)
}

pub fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_from_branches() {
        assert_eq!(
            feature_from_branch(Some("004-auth-server")).as_deref(),
            Some("auth-server")
        );
        assert_eq!(
            feature_from_branch(Some("feature/login-flow")).as_deref(),
            Some("login-flow")
        );
        assert_eq!(feature_from_branch(Some("main")), None);
        assert_eq!(feature_from_branch(Some("123")), None);
        assert_eq!(feature_from_branch(None), None);
    }

    #[test]
    fn ids_continue_after_the_largest() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["0001-a.spec.prompt.md", "0007-b.plan.prompt.md", "notes.md"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        assert_eq!(next_id(dir.path(), ".prompt.md"), 8);
        assert_eq!(next_id(&dir.path().join("missing"), ".prompt.md"), 1);
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Configure auth: answers (HS256)"),
            "configure-auth-answers-hs256"
        );
    }
}
