use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use authgen::cli::{Cli, Command};
use authgen::configure::InquirePrompter;
use authgen::init::{self, Outcome, Session};
use authgen::ui::{ERR, paint};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Init(args) => {
            let mut stdout = anstream::stdout();
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut prompter = InquirePrompter::new(color);
            // Prompt only when stdin is a terminal: never wait on a pipe or /dev/null.
            let interactive = std::io::stdin().is_terminal() && !args.yes;
            let session = Session {
                args: &args,
                prompter: if interactive {
                    Some(&mut prompter)
                } else {
                    None
                },
                command: std::env::args().collect::<Vec<_>>().join(" "),
            };
            let result = init::run(session, &mut stdout);
            let _ = stdout.flush();
            match result {
                Ok(Outcome::Written | Outcome::NothingToDo | Outcome::DryRun) => ExitCode::SUCCESS,
                Ok(Outcome::Conflicts) => ExitCode::from(1),
                Err(err) => {
                    let _ = writeln!(anstream::stderr(), "{} {err}", paint(ERR, "error:"));
                    ExitCode::from(2)
                }
            }
        }
        Command::Doctor(args) => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut stdout = anstream::stdout();
            let result = authgen::doctor::command::run(&args, &mut stdout, color);
            let _ = stdout.flush();
            match result {
                Ok(status) => ExitCode::from(status),
                Err(err) => fail(err),
            }
        }
        Command::Explain(args) => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let mut stdout = anstream::stdout();
            match authgen::explain::command(&args.path, &args.query.join(" "), &mut stdout, color) {
                Ok(status) => ExitCode::from(status),
                Err(err) => fail(err),
            }
        }
        Command::Secret(args) => {
            match authgen::secret::command(&args.path, args.write, &mut anstream::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => fail(err),
            }
        }
        Command::Token(args) => {
            match authgen::token::command(&args.path, &args.action, &mut anstream::stdout()) {
                Ok(status) => ExitCode::from(status),
                Err(err) => fail(err),
            }
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "authgen",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}

fn fail(err: impl std::fmt::Display) -> ExitCode {
    let _ = writeln!(anstream::stderr(), "{} {err}", paint(ERR, "error:"));
    ExitCode::from(2)
}
