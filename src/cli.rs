//! The command line contract (see DESIGN.md). `main.rs` parses it; the library never does.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::configure::Answers;

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
    /// Find (and fix) what breaks auth setups: route order, INET columns, cookies, secrets, ...
    Doctor(DoctorArgs),
    /// Explain a check, or find the checks that explain a pasted error message.
    Explain(ExplainArgs),
    /// Print a fresh 32-byte secret, or write it to every env file that needs it.
    Secret(SecretArgs),
    /// Decode, verify or mint a JWT against this repository's configuration.
    Token(TokenArgs),
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

    /// The answers given as flags or `AUTHGEN_*` variables (one struct with authgen.toml).
    #[command(flatten)]
    pub answers: Answers,

    /// Use templates from DIR where it has them (same relative paths as the embedded ones).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// Do not run the checks on the generated files.
    #[arg(long)]
    pub no_doctor: bool,

    /// Write the architecture decision records without asking (Spec-Kit repos).
    #[arg(long)]
    pub adr: bool,
}

#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Exit status: 0 nothing at or above --fail-on, 1 findings, 2 a check crashed or usage/I/O error.\n\nExamples:\n  authgen doctor                         check the current repository\n  authgen doctor --diff                  show what --fix would change\n  authgen doctor --fix                   apply the safe fixes\n  authgen doctor --format sarif > authgen.sarif\n  authgen doctor --check route-order,inet-column --format github"
)]
pub struct DoctorArgs {
    /// Repository to check.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Apply the safe fixes, then check again.
    #[arg(long)]
    pub fix: bool,

    /// With --fix or --diff, include the fixes that change behaviour (review them).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the fixes as unified diffs; write nothing.
    #[arg(long)]
    pub diff: bool,

    /// Run only these checks (comma-separated ids).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub check: Vec<String>,

    /// List the checks and exit.
    #[arg(long)]
    pub list_checks: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: crate::doctor::report::Format,

    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,

    /// Exit 0 even when there are findings (a crashed check still exits 2).
    #[arg(long)]
    pub exit_zero: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Examples:\n  authgen explain inet-column\n  authgen explain 'column \"ip_address\" is of type inet but expression is of type text'\n  authgen explain 'Access to fetch at ... has been blocked by CORS policy'"
)]
pub struct ExplainArgs {
    /// A check id, or an error message as you saw it (quote it).
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,

    /// Repository to run the matching checks on.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct SecretArgs {
    /// Write the secret as AUTH_SECRET to the auth server's and the API backend's .env
    /// (created if missing, other lines kept); the secret is not printed.
    #[arg(long)]
    pub write: bool,

    /// Repository (for --write).
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: TokenAction,

    /// Repository whose configuration (authgen.toml, env files) the token is checked against.
    #[arg(long, global = true, default_value = ".")]
    pub path: PathBuf,
}

#[derive(Debug, Subcommand, Clone)]
pub enum TokenAction {
    /// Print the header and claims without verifying anything.
    Decode {
        /// The JWT (or `-` to read it from stdin).
        token: String,
    },
    /// Verify the token as the API backend would, and say which check fails.
    Verify {
        /// The JWT (or `-` to read it from stdin).
        token: String,
        /// A JWKS file or URL for EdDSA tokens [default: AUTH_JWKS_URL from the backend's env].
        #[arg(long, value_name = "FILE|URL")]
        jwks: Option<String>,
    },
    /// Sign a token with the repository's HS256 secret (development only).
    Mint {
        /// The `sub` claim.
        #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
        sub: String,
        /// Lifetime in minutes.
        #[arg(long, default_value_t = 15)]
        minutes: u32,
        /// A role to put in `roles` (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
    },
}
