//! The command line contract (see DESIGN.md). `main.rs` parses it; the library never does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::configure::{
    Algorithm, BackendKind, DeployTarget, EmailVerification, Method, RecordsMode, SessionValidation,
};

#[derive(Debug, Parser)]
#[command(
    name = "authgen",
    version,
    about = "Put a working, secure authentication system into an existing repository, and keep it healthy.",
    long_about = None,
    after_help = "Examples:\n  authgen init                       ask the questions, show the plan, write\n  authgen init --yes --dry-run       take the defaults and show what would be written\n  authgen init --yes --algorithm hs256 --session-validation database\n\nDocs: README.md of this project; `authgen <command> --help` for each command."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Discover the repo, configure auth, generate the auth server, verifier and docs.
    Init(InitArgs),
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

/// Every question `init` asks has a flag, an `AUTHGEN_*` variable and an `authgen.toml` key.
/// Precedence: flag > environment > authgen.toml > prompt > default.
#[derive(Debug, Args, Default, Clone)]
#[command(
    after_help = "Without a terminal and without --yes, a missing answer is an error that names its flag.\nAnswers are recorded in authgen.toml so a second run reproduces the first."
)]
pub struct InitArgs {
    /// Repository to set up.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Take the default for every answer not given; never prompt.
    #[arg(short, long)]
    pub yes: bool,

    /// Answers file [default: <PATH>/authgen.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the discovered facts, the plan and diffs; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Overwrite files you edited since authgen wrote them (shown as conflicts otherwise).
    #[arg(long)]
    pub force: bool,

    /// Sign-in methods.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        env = "AUTHGEN_METHODS",
        help_heading = "Answers"
    )]
    pub methods: Option<Vec<Method>>,

    /// Whether users must verify their email address before signing in.
    #[arg(
        long,
        value_enum,
        env = "AUTHGEN_EMAIL_VERIFICATION",
        help_heading = "Answers"
    )]
    pub email_verification: Option<EmailVerification>,

    /// How the API backend validates a request: the JWT alone, or also the session in the database.
    #[arg(
        long,
        value_enum,
        env = "AUTHGEN_SESSION_VALIDATION",
        help_heading = "Answers"
    )]
    pub session_validation: Option<SessionValidation>,

    /// Refresh-token (session) lifetime in days.
    #[arg(long, value_name = "N", env = "AUTHGEN_SESSION_DAYS", help_heading = "Answers",
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub session_days: Option<u32>,

    /// Access-token lifetime in minutes.
    #[arg(long, value_name = "N", env = "AUTHGEN_ACCESS_MINUTES", help_heading = "Answers",
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub access_minutes: Option<u32>,

    /// JWT signing algorithm.
    #[arg(long, value_enum, env = "AUTHGEN_ALGORITHM", help_heading = "Answers")]
    pub algorithm: Option<Algorithm>,

    /// Browser origin allowed to call the auth server (repeat, or comma-separate).
    #[arg(
        long = "cors-origin",
        value_name = "URL",
        value_delimiter = ',',
        env = "AUTHGEN_CORS_ORIGIN",
        help_heading = "Answers"
    )]
    pub cors_origins: Option<Vec<String>>,

    /// Where the auth server will be deployed.
    #[arg(long, value_enum, env = "AUTHGEN_DEPLOY", help_heading = "Answers")]
    pub deploy: Option<DeployTarget>,

    /// Directory of the generated auth server, relative to PATH.
    #[arg(
        long,
        value_name = "DIR",
        env = "AUTHGEN_AUTH_DIR",
        help_heading = "Answers"
    )]
    pub auth_dir: Option<String>,

    /// Directory of the API backend, relative to PATH (needed when discovery finds several).
    #[arg(
        long,
        value_name = "DIR",
        env = "AUTHGEN_BACKEND_DIR",
        help_heading = "Answers"
    )]
    pub backend_dir: Option<String>,

    /// Kind of API backend that will verify tokens.
    #[arg(long, value_enum, env = "AUTHGEN_BACKEND", help_heading = "Answers")]
    pub backend: Option<BackendKind>,

    /// Use templates from DIR where it has them (same relative paths as the embedded ones).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Do not run the checks on the generated files.
    #[arg(long)]
    pub no_doctor: bool,

    /// Spec-Kit prompt history records: auto = when .specify/ exists.
    #[arg(long, value_enum, env = "AUTHGEN_RECORDS", help_heading = "Answers")]
    pub records: Option<RecordsMode>,

    /// Write the architecture decision records without asking (Spec-Kit repos).
    #[arg(long)]
    pub adr: bool,
}
