//! `authgen doctor` as a command: run, fix or diff, render, and choose the exit status.

use std::io::Write;

use crate::cli::{DoctorArgs, FailOn};
use crate::ui::{BOLD, DIM, OK, WARN, paint};

use super::finding::Severity;
use super::report::{self, Format};
use super::{DoctorError, Options, Report, fix};

/// Exit status per DESIGN.md: 0 clean (at `--fail-on`), 1 findings, 2 a check crashed.
pub fn exit_status(report: &Report, args: &DoctorArgs) -> u8 {
    if report.crashed() {
        return 2;
    }
    if args.exit_zero {
        return 0;
    }
    let threshold = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    u8::from(report.findings().any(|f| f.severity >= threshold))
}

pub fn run(args: &DoctorArgs, out: &mut dyn Write, color: bool) -> Result<u8, CommandError> {
    if args.list_checks {
        list_checks(out)?;
        return Ok(0);
    }
    let options = Options {
        only: args.check.clone(),
    };
    let root = &args.path;
    let mut report = super::run(root, &options)?;
    if args.diff || args.fix {
        let plan = fix::plan(root, report.findings(), args.unsafe_fixes);
        let human = args.format == Format::Human;
        if args.diff {
            for change in &plan.changes {
                let old = change.old.as_deref().unwrap_or_default();
                write!(out, "{}", crate::ui::diff(&change.file, old, &change.new))?;
            }
            if human {
                let fixes: usize = plan.changes.iter().map(|c| c.fixes).sum();
                writeln!(
                    out,
                    "{} fix edit(s) in {} file(s) would be applied by `authgen doctor --fix{}`; nothing written.",
                    fixes,
                    plan.changes.len(),
                    if args.unsafe_fixes {
                        " --unsafe-fixes"
                    } else {
                        ""
                    }
                )?;
            }
            for skipped in &plan.skipped {
                writeln!(out, "{} {skipped}", paint(WARN, "skipped:"))?;
            }
            return Ok(exit_status(&report, args));
        }
        fix::write(root, &plan).map_err(CommandError::Write)?;
        if human {
            for change in &plan.changes {
                writeln!(out, "{} fixed {}", paint(OK, "✓"), change.file)?;
            }
            for skipped in &plan.skipped {
                writeln!(out, "{} {skipped}", paint(WARN, "skipped:"))?;
            }
            if !plan.changes.is_empty() {
                writeln!(out)?;
            }
        }
        // Report what is left, from the files as they are now.
        report = super::run(root, &options)?;
    }
    match args.format {
        Format::Human => {
            writeln!(
                out,
                "{} {}\n",
                paint(BOLD, "authgen doctor"),
                paint(DIM, root.display())
            )?;
            write!(out, "{}", report::human(&report, root, color))?;
        }
        Format::Json => write!(out, "{}", report::json(&report))?,
        Format::Sarif => write!(
            out,
            "{}",
            report::sarif(&report, &crate::diagnostics::all()?)
        )?,
        Format::Github => write!(out, "{}", report::github(&report))?,
    }
    Ok(exit_status(&report, args))
}

fn list_checks(out: &mut dyn Write) -> Result<(), CommandError> {
    let docs = crate::diagnostics::all()?;
    let width = docs.iter().map(|d| d.meta.id.len()).max().unwrap_or(0);
    for doc in &docs {
        writeln!(
            out,
            "{:width$}  {:7}  {:12}  {}",
            doc.meta.id,
            doc.meta.severity,
            doc.meta.fix.as_deref().unwrap_or("-"),
            doc.meta.title
        )?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Doctor(#[from] DoctorError),
    #[error(transparent)]
    Diagnostics(#[from] crate::diagnostics::DiagnosticError),
    #[error("cannot write the fixes: {0}")]
    Write(std::io::Error),
    #[error(transparent)]
    Output(#[from] std::io::Error),
}
