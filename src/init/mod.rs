//! `authgen init`: discover → configure → plan → apply → diagnose → record, reporting each
//! step ([`report`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::cli::InitArgs;
use crate::configure::{self, Answers, Mode, Prompter, RecordsMode};
use crate::discover;
use crate::generate::{self, Plan, PlanInput, Templates};
use crate::manifest::sha256_hex;
use crate::record;
use crate::record::Recorder;
use crate::ui::{BOLD, DIM, ERR, OK, WARN, paint};

pub mod report;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error(transparent)]
    Configure(#[from] configure::ConfigureError),
    #[error(transparent)]
    Answers(#[from] crate::configure::AnswersError),
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    #[error(transparent)]
    Apply(#[from] generate::ApplyError),
    #[error(transparent)]
    Record(#[from] record::RecordError),
    #[error("writing the report: {0}")]
    Output(#[from] io::Error),
    #[error("after writing: {0}")]
    Verify(String),
}

/// How the run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    NothingToDo,
    DryRun,
    /// Some files were kept because the user edited them.
    Conflicts,
}

pub struct Session<'a> {
    pub args: &'a InitArgs,
    /// A terminal to ask on; `None` in CI or with stdin redirected.
    pub prompter: Option<&'a mut dyn Prompter>,
    /// The command line, for the records.
    pub command: String,
}

pub fn run(session: Session<'_>, out: &mut dyn Write) -> Result<Outcome, InitError> {
    let Session {
        args,
        mut prompter,
        command,
    } = session;
    let project = discover::discover(&args.path)?;
    writeln!(
        out,
        "{}",
        paint(BOLD, format!("authgen init · {}", project.name))
    )?;
    writeln!(out)?;
    report::facts(out, &project)?;

    let answers_path = answers_path(&project.root, args.config.as_deref());
    let (file_answers, answers_text) = match configure::read_answers(&answers_path)? {
        Some((answers, text)) => (answers, Some(text)),
        None => (Answers::default(), None),
    };
    let mode = match (args.yes, prompter.as_deref_mut()) {
        (true, _) => Mode::Defaults,
        (false, Some(p)) => Mode::Ask(p),
        (false, None) => Mode::NoTerminal,
    };
    let configured = configure::configure(&project, &args.answers, &file_answers, mode)?;
    if prompter.is_some() && !args.yes {
        writeln!(out)?;
    }
    report::configuration(out, &configured)?;

    let templates = Templates::load(args.templates.as_deref())?;
    let plan = generate::plan(&PlanInput {
        project: &project,
        configured: &configured,
        templates: &templates,
        answers_path: &answers_path,
        answers_text: answers_text.as_deref(),
        force: args.force,
    })?;
    report::plan(out, &plan, args.dry_run)?;

    if args.dry_run {
        writeln!(
            out,
            "{} nothing was written (--dry-run).",
            paint(OK, "Dry run:")
        )?;
        return Ok(if plan.conflicts().next().is_some() {
            Outcome::Conflicts
        } else {
            Outcome::DryRun
        });
    }
    let conflicts = plan.conflicts().count();
    if plan.is_noop() {
        if conflicts == 0 {
            writeln!(
                out,
                "{} every file is up to date; nothing to do.",
                paint(OK, "Up to date:")
            )?;
            return Ok(Outcome::NothingToDo);
        }
        writeln!(
            out,
            "{} nothing else to do; {conflicts} edited file{} kept (see the diff above, --force replaces).",
            paint(WARN, "Conflicts:"),
            report::plural(conflicts)
        )?;
        return Ok(Outcome::Conflicts);
    }

    let applied = generate::apply(&plan)?;
    let doctor_report;
    let checked = if args.no_doctor {
        None
    } else {
        let verified = verify(&plan)?;
        writeln!(out, "{}", paint(BOLD, "Checks"))?;
        writeln!(
            out,
            "  {} {verified} written file{} read back: content and manifest hashes match",
            paint(OK, "✓"),
            report::plural(verified)
        )?;
        doctor_report = diagnose(&project.root, out)?;
        writeln!(out)?;
        Some(record::Checked {
            verified,
            doctor: doctor_report.as_ref(),
        })
    };
    report::summary(out, &plan, &applied, &configured)?;

    let records_on = match configured.config.records {
        RecordsMode::On => true,
        RecordsMode::Off => false,
        RecordsMode::Auto => project.speckit,
    };
    if records_on {
        let mut discovered = Vec::new();
        report::facts(&mut discovered, &project)?;
        let discovered =
            anstream::adapter::strip_str(&String::from_utf8_lossy(&discovered)).to_string();
        let run = record::InitRun {
            project: &project,
            configured: &configured,
            command: &command,
            discovered: &discovered,
        };
        write_records(
            &run,
            &plan,
            &applied,
            checked.as_ref(),
            &templates,
            Ask { args, prompter },
            out,
        )?;
    }
    Ok(if conflicts > 0 {
        Outcome::Conflicts
    } else {
        Outcome::Written
    })
}

fn answers_path(root: &Path, config: Option<&Path>) -> PathBuf {
    match config {
        Some(path) if path.is_absolute() => path.to_path_buf(),
        Some(path) => std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
        None => root.join(configure::ANSWERS_FILE),
    }
}

/// Read back every written file: it must hold exactly what the plan rendered.
fn verify(plan: &Plan) -> Result<usize, InitError> {
    let mut count = 0;
    for change in plan.changes.iter().filter(|c| c.writes()) {
        let bytes = std::fs::read(&change.target)
            .map_err(|e| InitError::Verify(format!("{}: {e}", change.path)))?;
        let expected = change.new.as_deref().unwrap_or_default();
        if sha256_hex(&bytes) != sha256_hex(expected.as_bytes()) {
            return Err(InitError::Verify(format!(
                "{}: content differs from what was written",
                change.path
            )));
        }
        count += 1;
    }
    Ok(count)
}

/// Who to ask for consent to write ADRs: `--adr`, else the terminal unless `--yes`.
struct Ask<'a> {
    args: &'a InitArgs,
    prompter: Option<&'a mut dyn Prompter>,
}

fn write_records(
    run: &record::InitRun<'_>,
    plan: &Plan,
    applied: &generate::Applied,
    checked: Option<&record::Checked<'_>>,
    templates: &Templates,
    ask: Ask<'_>,
    out: &mut dyn Write,
) -> Result<(), InitError> {
    let Ask { args, prompter } = ask;
    let project = run.project;
    let recorder = Recorder {
        root: &project.root,
        branch: project.git.as_ref().and_then(|g| g.branch.as_deref()),
        user: git_user(&project.root),
        command: run.command,
        date: chrono::Local::now().format("%Y-%m-%d").to_string(),
    };
    let records = recorder.write_phrs(&record::init_phrs(run, plan, applied, checked))?;
    writeln!(out, "\n{}", paint(BOLD, "Records"))?;
    for path in &records {
        writeln!(out, "  {} {path}", paint(OK, "✓"))?;
    }

    let missing = recorder.missing_adrs();
    if missing.is_empty() {
        return Ok(());
    }
    let consent = if args.adr {
        true
    } else if let (Some(p), false) = (prompter, args.yes) {
        p.confirm(
            &format!(
                "Write {} architecture decision record{} ({})?",
                missing.len(),
                report::plural(missing.len()),
                missing.join(", ")
            ),
            true,
            "written to history/adr/; you can edit them afterwards",
        )
        .map_err(configure::ConfigureError::from)?
    } else {
        false
    };
    if consent {
        for path in recorder.write_adrs(templates, &plan.context)? {
            writeln!(out, "  {} {path}", paint(OK, "✓"))?;
        }
    } else {
        writeln!(
            out,
            "  {} ADRs not written ({}); pass --adr to write them",
            paint(ERR, "·"),
            missing.join(", ")
        )?;
    }
    Ok(())
}

fn git_user(root: &Path) -> String {
    git2::Repository::discover(root)
        .ok()
        .and_then(|r| r.config().ok())
        .or_else(|| git2::Config::open_default().ok())
        .and_then(|c| c.get_string("user.name").ok())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Run the doctor on the repository as it is now: what authgen wrote must pass every check,
/// and problems in the user's own code are worth knowing before the first deploy.
fn diagnose(root: &Path, out: &mut dyn Write) -> Result<Option<crate::doctor::Report>, InitError> {
    let report = match crate::doctor::run(root, &crate::doctor::Options::default()) {
        Ok(report) => report,
        Err(err) => {
            writeln!(out, "  {} doctor did not run: {err}", paint(WARN, "!"))?;
            return Ok(None);
        }
    };
    let findings: Vec<_> = report.findings().collect();
    if findings.is_empty() && !report.crashed() {
        writeln!(
            out,
            "  {} authgen doctor: {}/{} checks passed",
            paint(OK, "✓"),
            report.passed(),
            report.checks.len()
        )?;
        return Ok(Some(report));
    }
    writeln!(
        out,
        "  {} authgen doctor: {}/{} checks passed; {} finding{} (run `authgen doctor` for details and fixes):",
        paint(WARN, "!"),
        report.passed(),
        report.checks.len(),
        findings.len(),
        report::plural(findings.len())
    )?;
    for finding in findings.iter().take(10) {
        writeln!(
            out,
            "      {}:{}:{} {} {}",
            finding.file,
            finding.start.line,
            finding.start.column,
            paint(DIM, format!("[{}]", finding.check)),
            finding.message
        )?;
    }
    if findings.len() > 10 {
        writeln!(out, "      ... and {} more", findings.len() - 10)?;
    }
    for check in &report.checks {
        if let crate::doctor::Outcome::Crashed { error } = &check.outcome {
            writeln!(out, "      {} crashed: {error}", check.id)?;
        }
    }
    Ok(Some(report))
}
