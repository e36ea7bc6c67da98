//! Stage 2: the answers. Each comes from, in order of precedence: a flag or `AUTHGEN_*`
//! variable, `authgen.toml`, a prompt, or the default (often derived from discovery).

mod answers_file;
mod options;
mod prompt;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use answers_file::{ANSWERS_FILE, AnswersError, read_answers, render_answers};
pub use options::{
    Algorithm, BackendKind, DeployTarget, EmailVerification, Face, Method, RecordsMode,
    SessionValidation, TakeOver,
};
pub use prompt::{InquirePrompter, PromptError, Prompter};

use crate::discover::{AuthServerKind, BackendFramework, Project, normalize_rel};

/// A partial set of answers: what the flags, the environment or authgen.toml say. One struct
/// for all three: clap reads it from the command line and `AUTHGEN_*` (flattened into
/// `InitArgs`), serde from authgen.toml. A field without a flag is `#[arg(skip)]`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Sign-in methods.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        env = "AUTHGEN_METHODS",
        help_heading = "Answers"
    )]
    pub methods: Option<Vec<Method>>,

    /// The APIs the auth server answers on: token, better-auth, or both.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        env = "AUTHGEN_FACES",
        help_heading = "Answers"
    )]
    pub faces: Option<Vec<Face>>,

    /// Take over an existing Better Auth deployment (its users, sessions and keys), or none.
    #[arg(long, value_enum, env = "AUTHGEN_TAKE_OVER", help_heading = "Answers")]
    pub take_over: Option<TakeOver>,

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

    /// Spec-Kit prompt history records: auto = when .specify/ exists.
    #[arg(long, value_enum, env = "AUTHGEN_RECORDS", help_heading = "Answers")]
    pub records: Option<RecordsMode>,

    /// Path prefix of every auth endpoint (authgen.toml only).
    #[arg(skip)]
    pub base_path: Option<String>,

    /// Development port of the auth server (authgen.toml only).
    #[arg(skip)]
    pub port: Option<u16>,
}

/// The complete configuration the rest of the pipeline works from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthConfig {
    pub backend: BackendKind,
    /// Relative to the repository root; `None` when `backend` is `none`.
    pub backend_dir: Option<String>,
    pub auth_dir: String,
    pub base_path: String,
    pub port: u16,
    pub methods: Vec<Method>,
    pub faces: Vec<Face>,
    /// The frontend directory whose package.json depends on `better-auth`, when discovery
    /// found one: the reason the Better Auth face is the default.
    pub better_auth_frontend: Option<String>,
    /// `better-auth`: the server takes over the Better Auth deployment in `take_over_dir`.
    pub take_over: TakeOver,
    pub take_over_dir: Option<String>,
    pub email_verification: EmailVerification,
    pub algorithm: Algorithm,
    pub session_validation: SessionValidation,
    pub access_minutes: u32,
    pub session_days: u32,
    pub cors_origins: Vec<String>,
    pub deploy: DeployTarget,
    pub records: RecordsMode,
}

impl AuthConfig {
    /// The answer of `key` (a [`QUESTIONS`] key) as one line of text.
    pub fn answer_text(&self, key: &str) -> String {
        let c = self;
        match key {
            "backend" => match &c.backend_dir {
                Some(dir) => format!("{} in {}", c.backend, display_dir(dir)),
                None => c.backend.to_string(),
            },
            "auth_dir" => c.auth_dir.clone(),
            "methods" => c
                .methods
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            "faces" => c.faces_text(),
            "take_over" => c.take_over_text(),
            "email_verification" => c.email_verification.to_string(),
            "algorithm" => c.algorithm.to_string(),
            "session_validation" => c.session_validation.to_string(),
            "access_minutes" => c.access_minutes.to_string(),
            "session_days" => c.session_days.to_string(),
            "cors_origins" => c.cors_origins.join(", "),
            "deploy" => c.deploy.to_string(),
            "base_path" => c.base_path.clone(),
            "port" => c.port.to_string(),
            "records" => c.records.to_string(),
            _ => String::new(),
        }
    }
}

impl AuthConfig {
    /// The take-over answer as one line, with the Better Auth server's directory.
    pub fn take_over_text(&self) -> String {
        match (&self.take_over, &self.take_over_dir) {
            (TakeOver::BetterAuth, Some(dir)) => {
                format!("better-auth (the server in {})", display_dir(dir))
            }
            (take_over, _) => take_over.to_string(),
        }
    }

    /// The faces as one line, with the reason when discovery chose the Better Auth face.
    pub fn faces_text(&self) -> String {
        let faces: Vec<&str> = self.faces.iter().map(|f| f.as_str()).collect();
        match &self.better_auth_frontend {
            Some(dir) if self.faces.contains(&Face::BetterAuth) => format!(
                "{} ({} uses the better-auth client)",
                faces.join(", "),
                display_dir(dir)
            ),
            _ => faces.join(", "),
        }
    }
}

/// Where an answer came from, shown next to it in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Flag,
    File,
    Prompt,
    Discovered,
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "flag/env",
            Origin::File => "authgen.toml",
            Origin::Prompt => "answered",
            Origin::Discovered => "discovered",
            Origin::Default => "default",
        })
    }
}

/// How missing answers are obtained.
pub enum Mode<'a> {
    /// `--yes`: take the default.
    Defaults,
    /// A terminal: ask.
    Ask(&'a mut dyn Prompter),
    /// No terminal and no `--yes`: a missing answer is an error naming its flag.
    NoTerminal,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigureError {
    #[error(
        "no terminal to ask on, and {} missing: {}\n  pass {}, put {} in authgen.toml, or use --yes to take the defaults",
        if .0.len() == 1 { "this answer is" } else { "these answers are" },
        .0.iter().map(|q| q.label).collect::<Vec<_>>().join(", "),
        if .0.len() == 1 { "its flag" } else { "the flags" },
        if .0.len() == 1 { "it" } else { "them" },
    )]
    Missing(Vec<&'static Question>),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

/// One answer `init` records, in one row: its authgen.toml key (also the origin key), the
/// flag the missing-answer error names, the label of that error, the comment above the key
/// in authgen.toml and its label in the init report. The flag itself, its `AUTHGEN_*`
/// variable and the serde key are the [`Answers`] field; the resolver asks in this order.
#[derive(Debug)]
pub struct Question {
    pub key: &'static str,
    /// As the missing-answer error shows it; empty for settings that are never asked.
    pub flag: &'static str,
    pub label: &'static str,
    /// The comment above the key in a new authgen.toml.
    pub comment: &'static str,
    /// The label in the init report's configuration; empty when the report does not list it.
    pub report: &'static str,
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.flag, self.label)
    }
}

/// Every answer, in authgen.toml order.
pub static QUESTIONS: &[Question] = &[
    Question {
        key: "backend",
        flag: "--backend fastapi|axum|none",
        label: "API backend kind (--backend)",
        comment: "API backend that verifies tokens: fastapi, axum or none.",
        report: "backend",
    },
    Question {
        key: "backend_dir",
        flag: "--backend-dir DIR",
        label: "which API backend verifies tokens (--backend-dir)",
        comment: "Its directory, relative to the repository root (\"\" is the root).",
        report: "",
    },
    Question {
        key: "auth_dir",
        flag: "--auth-dir DIR",
        label: "auth server directory (--auth-dir)",
        comment: "Directory of the generated auth server.",
        report: "auth server",
    },
    Question {
        key: "take_over",
        flag: "--take-over none|better-auth",
        label: "take over the Better Auth deployment (--take-over)",
        comment: "none, or better-auth: take over the Better Auth deployment (users, passwords, sessions, JWKS keys).",
        report: "take over",
    },
    Question {
        key: "base_path",
        flag: "",
        label: "auth endpoints' path prefix",
        comment: "Path prefix of every auth endpoint.",
        report: "base path",
    },
    Question {
        key: "port",
        flag: "",
        label: "auth server port",
        comment: "Port the auth server listens on in development.",
        report: "port",
    },
    Question {
        key: "methods",
        flag: "--methods email,google,github,magic-link",
        label: "sign-in methods (--methods)",
        comment: "Sign-in methods: email, google, github, magic-link.",
        report: "methods",
    },
    Question {
        key: "faces",
        flag: "--faces token,better-auth",
        label: "APIs the auth server answers on (--faces)",
        comment: "APIs the auth server answers on: token (the token API), better-auth (Better Auth's API for the better-auth client).",
        report: "faces",
    },
    Question {
        key: "email_verification",
        flag: "--email-verification required|off",
        label: "email verification (--email-verification)",
        comment: "required or off.",
        report: "email verification",
    },
    Question {
        key: "algorithm",
        flag: "--algorithm eddsa|hs256",
        label: "JWT algorithm (--algorithm)",
        comment: "JWT signing: eddsa (public keys at /jwks) or hs256 (shared secret).",
        report: "algorithm",
    },
    Question {
        key: "session_validation",
        flag: "--session-validation jwt|database",
        label: "session validation (--session-validation)",
        comment: "jwt (signature and claims) or database (also the session row).",
        report: "session validation",
    },
    Question {
        key: "access_minutes",
        flag: "--access-minutes N",
        label: "access-token lifetime (--access-minutes)",
        comment: "Access-token lifetime in minutes.",
        report: "access token",
    },
    Question {
        key: "session_days",
        flag: "--session-days N",
        label: "session lifetime (--session-days)",
        comment: "Refresh-token (session) lifetime in days.",
        report: "session",
    },
    Question {
        key: "cors_origins",
        flag: "--cors-origin URL",
        label: "allowed browser origins (--cors-origin)",
        comment: "Browser origins allowed to call the auth server.",
        report: "CORS origins",
    },
    Question {
        key: "deploy",
        flag: "--deploy docker|railway|fly|local",
        label: "deploy target (--deploy)",
        comment: "Deploy files: docker, railway, fly or local.",
        report: "deploy",
    },
    Question {
        key: "records",
        flag: "--records auto|on|off",
        label: "Spec-Kit records (--records)",
        comment: "Spec-Kit prompt history records: auto, on or off.",
        report: "",
    },
];

/// The sign-in methods a Better Auth server has on.
fn methods_of(options: &crate::discover::better_auth::BetterAuthOptions) -> Vec<Method> {
    let mut methods = Vec::new();
    if options.email_and_password {
        methods.push(Method::Email);
    }
    for provider in &options.social_providers {
        match provider.as_str() {
            "google" => methods.push(Method::Google),
            "github" => methods.push(Method::Github),
            _ => {}
        }
    }
    if options.plugins.iter().any(|p| p == "magicLink") {
        methods.push(Method::MagicLink);
    }
    methods
}

/// The row of `key`.
pub fn question(key: &str) -> &'static Question {
    QUESTIONS
        .iter()
        .find(|q| q.key == key)
        .unwrap_or_else(|| panic!("`{key}` is not in QUESTIONS"))
}

/// The answers with where each came from.
#[derive(Debug, Clone)]
pub struct Configured {
    pub config: AuthConfig,
    pub origins: Vec<(&'static str, Origin)>,
}

impl Configured {
    pub fn origin(&self, key: &str) -> Option<Origin> {
        self.origins
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, o)| *o)
    }
}

pub const DEFAULT_AUTH_DIR: &str = "auth-server";
pub const DEFAULT_BASE_PATH: &str = "/api/auth";
pub const DEFAULT_PORT: u16 = 4000;

/// Resolve every answer. `flags` holds flags and `AUTHGEN_*` values; `file` is authgen.toml.
pub fn configure(
    project: &Project,
    flags: &Answers,
    file: &Answers,
    mode: Mode<'_>,
) -> Result<Configured, ConfigureError> {
    Resolver {
        project,
        flags,
        file,
        mode,
        origins: Vec::new(),
        missing: Vec::new(),
    }
    .run()
}

struct Resolver<'a, 'p> {
    project: &'a Project,
    flags: &'a Answers,
    file: &'a Answers,
    mode: Mode<'p>,
    origins: Vec<(&'static str, Origin)>,
    missing: Vec<&'static Question>,
}

impl Resolver<'_, '_> {
    fn run(mut self) -> Result<Configured, ConfigureError> {
        let (backend, backend_dir) = self.backend()?;

        let default_auth_dir = match &self.project.auth_server {
            Some(server) if server.kind == AuthServerKind::Authgen => server.dir.clone(),
            _ => DEFAULT_AUTH_DIR.to_owned(),
        };
        let auth_dir = self.answer(
            question("auth_dir"),
            |a| a.auth_dir.clone(),
            default_auth_dir,
            |p, d| {
                p.text(
                    "Where should the auth server go?",
                    d,
                    "a directory relative to the repository root",
                )
            },
        )?;
        let auth_dir = normalize_rel(&auth_dir);
        validate_auth_dir(&auth_dir, backend_dir.as_deref())?;

        let better_auth_server = self
            .project
            .auth_server
            .as_ref()
            .filter(|server| server.kind == AuthServerKind::BetterAuth)
            .map(|server| server.dir.clone());
        // Asked only when there is a Better Auth server to take over; authgen.toml records
        // the answer unless it is `none`, so a file of answers without it means that.
        let recorded_without = self.file.take_over.is_none() && *self.file != Answers::default();
        let take_over = if better_auth_server.is_none()
            || (recorded_without && self.flags.take_over.is_none())
        {
            let given = self.flags.take_over.or(self.file.take_over);
            self.settled("take_over", given, TakeOver::None)
        } else {
            self.answer(
                question("take_over"),
                |a| a.take_over,
                TakeOver::BetterAuth,
                |p, d| select(p, "Start from", TakeOver::ALL, d),
            )?
        };
        if better_auth_server.is_some() && self.origin_of("take_over") == Some(Origin::Default) {
            self.set_origin("take_over", Origin::Discovered);
        }
        let take_over_dir = better_auth_server.filter(|_| take_over == TakeOver::BetterAuth);

        // What the Better Auth server taken over is configured with: the defaults here.
        let project = self.project;
        let taken = project
            .auth_server
            .as_ref()
            .filter(|_| take_over == TakeOver::BetterAuth)
            .and_then(|server| server.better_auth.as_ref());
        let taken_methods = taken.map(methods_of).filter(|m| !m.is_empty());
        let methods = self.answer(
            question("methods"),
            |a| a.methods.clone(),
            taken_methods.clone().unwrap_or_else(|| vec![Method::Email]),
            |p, d| choose_several(p, "Sign-in methods", Method::ALL, d),
        )?;
        if taken_methods.is_some() {
            self.discovered("methods");
        }
        let mut methods = methods;
        methods.sort();
        methods.dedup();
        if methods.is_empty() {
            return Err(ConfigureError::Invalid(
                "at least one sign-in method is needed (--methods)".into(),
            ));
        }

        let better_auth_frontend = self
            .project
            .frontend
            .as_ref()
            .filter(|f| f.better_auth)
            .map(|f| f.dir.clone());
        let default_faces = if better_auth_frontend.is_some() || take_over == TakeOver::BetterAuth {
            vec![Face::Token, Face::BetterAuth]
        } else {
            vec![Face::Token]
        };
        let recorded_without_faces = self.file.faces.is_none() && *self.file != Answers::default();
        let mut faces = if self.flags.faces.is_none() && recorded_without_faces {
            // authgen.toml records `faces` unless it is the token API alone (and no
            // better-auth frontend makes another default): a file without it means that.
            self.origins.push(("faces", Origin::File));
            vec![Face::Token]
        } else {
            self.answer(
                question("faces"),
                |a| a.faces.clone(),
                default_faces,
                |p, d| choose_several(p, "APIs the auth server answers on", Face::ALL, d),
            )?
        };
        faces.sort();
        faces.dedup();
        if better_auth_frontend.is_some() && self.origin_of("faces") == Some(Origin::Default) {
            self.set_origin("faces", Origin::Discovered);
        }
        if !faces.contains(&Face::Token) {
            return Err(ConfigureError::Invalid(
                "--faces: the token API is part of every auth server (the verifiers and /me use it): choose token or token,better-auth".into(),
            ));
        }

        if take_over == TakeOver::BetterAuth && !faces.contains(&Face::BetterAuth) {
            return Err(ConfigureError::Invalid(
                "--take-over better-auth: the browsers signed in to Better Auth keep their sessions only through Better Auth's API; add it (--faces token,better-auth)".into(),
            ));
        }

        let verification_found = taken.is_some_and(|o| o.require_email_verification);
        let email_verification = if methods.contains(&Method::Email) {
            self.answer(
                question("email_verification"),
                |a| a.email_verification,
                if verification_found {
                    EmailVerification::Required
                } else {
                    EmailVerification::Off
                },
                |p, d| select(p, "Email verification", EmailVerification::ALL, d),
            )?
        } else {
            self.settled(
                "email_verification",
                self.flags
                    .email_verification
                    .or(self.file.email_verification),
                EmailVerification::Off,
            )
        };
        if verification_found {
            self.discovered("email_verification");
        }
        let algorithm = self.answer(
            question("algorithm"),
            |a| a.algorithm,
            Algorithm::Eddsa,
            |p, d| select(p, "JWT signing algorithm", Algorithm::ALL, d),
        )?;
        if take_over == TakeOver::BetterAuth && algorithm != Algorithm::Eddsa {
            return Err(ConfigureError::Invalid(
                "--take-over better-auth: Better Auth's tokens are EdDSA-signed and stay valid only through /jwks; use --algorithm eddsa".into(),
            ));
        }
        let session_validation = self.answer(
            question("session_validation"),
            |a| a.session_validation,
            SessionValidation::Jwt,
            |p, d| {
                select(
                    p,
                    "Session validation in the API backend",
                    SessionValidation::ALL,
                    d,
                )
            },
        )?;
        let access_minutes = self.answer(
            question("access_minutes"),
            |a| a.access_minutes,
            15,
            |p, d| p.number("Access-token lifetime (minutes)", *d, 1, 1440),
        )?;
        let session_days = self.answer(
            question("session_days"),
            |a| a.session_days,
            7,
            |p, d| p.number("Session lifetime (days)", *d, 1, 365),
        )?;
        let taken_origins = taken
            .map(|o| o.trusted_origins.clone())
            .filter(|origins| !origins.is_empty());
        let default_origins = taken_origins.clone().unwrap_or_else(|| {
            vec![
                self.project
                    .frontend
                    .as_ref()
                    .map_or_else(|| "http://localhost:3000".to_owned(), |f| f.origin.clone()),
            ]
        });
        let cors_origins = self.answer(
            question("cors_origins"),
            |a| a.cors_origins.clone(),
            default_origins,
            |p, d| {
                let text = p.text(
                    "Browser origins allowed to call the auth server",
                    &d.join(", "),
                    "comma-separated, e.g. http://localhost:3000, https://app.example.com",
                )?;
                Ok(text
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect())
            },
        )?;
        if taken_origins.is_some() {
            self.discovered("cors_origins");
        }
        let cors_origins = validate_origins(cors_origins)?;
        let deploy = self.answer(
            question("deploy"),
            |a| a.deploy,
            DeployTarget::Docker,
            |p, d| select(p, "Deploy target", DeployTarget::ALL, d),
        )?;

        let base_path = self.settled(
            "base_path",
            self.flags.base_path.clone().or(self.file.base_path.clone()),
            taken
                .and_then(|o| o.base_path.clone())
                .unwrap_or_else(|| DEFAULT_BASE_PATH.to_owned()),
        );
        if taken.is_some_and(|o| o.base_path.is_some()) {
            self.discovered("base_path");
        }
        validate_base_path(&base_path)?;
        let port = self.settled("port", self.flags.port.or(self.file.port), DEFAULT_PORT);
        let records = self.settled(
            "records",
            self.flags.records.or(self.file.records),
            RecordsMode::Auto,
        );

        if !self.missing.is_empty() {
            return Err(ConfigureError::Missing(self.missing));
        }
        Ok(Configured {
            config: AuthConfig {
                backend,
                backend_dir,
                auth_dir,
                base_path,
                port,
                methods,
                faces,
                better_auth_frontend,
                take_over,
                take_over_dir,
                email_verification,
                algorithm,
                session_validation,
                access_minutes,
                session_days,
                cors_origins,
                deploy,
                records,
            },
            origins: self.origins,
        })
    }

    /// A question: flag, then file, then the mode decides between prompt and default.
    fn answer<T: Clone>(
        &mut self,
        question: &'static Question,
        get: impl Fn(&Answers) -> Option<T>,
        default: T,
        ask: impl FnOnce(&mut dyn Prompter, &T) -> Result<T, PromptError>,
    ) -> Result<T, ConfigureError> {
        let (value, origin) = if let Some(value) = get(self.flags) {
            (value, Origin::Flag)
        } else if let Some(value) = get(self.file) {
            (value, Origin::File)
        } else {
            match &mut self.mode {
                Mode::Defaults => (default, Origin::Default),
                Mode::Ask(prompter) => (ask(&mut **prompter, &default)?, Origin::Prompt),
                Mode::NoTerminal => {
                    self.missing.push(question);
                    (default, Origin::Default)
                }
            }
        };
        self.origins.push((question.key, origin));
        Ok(value)
    }

    /// An answer left at its default took the value discovery found.
    fn discovered(&mut self, key: &str) {
        if self.origin_of(key) == Some(Origin::Default) {
            self.set_origin(key, Origin::Discovered);
        }
    }

    fn origin_of(&self, key: &str) -> Option<Origin> {
        self.origins
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, o)| *o)
    }

    fn set_origin(&mut self, key: &str, origin: Origin) {
        if let Some(entry) = self.origins.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = origin;
        }
    }

    /// A setting that is never asked: flag/file or the default.
    fn settled<T>(&mut self, key: &'static str, given: Option<T>, default: T) -> T {
        let origin = if given.is_some() {
            if self.flags_have(key) {
                Origin::Flag
            } else {
                Origin::File
            }
        } else {
            Origin::Default
        };
        self.origins.push((key, origin));
        given.unwrap_or(default)
    }

    fn flags_have(&self, key: &str) -> bool {
        match key {
            "base_path" => self.flags.base_path.is_some(),
            "port" => self.flags.port.is_some(),
            "records" => self.flags.records.is_some(),
            "email_verification" => self.flags.email_verification.is_some(),
            "take_over" => self.flags.take_over.is_some(),
            _ => false,
        }
    }

    /// Which backend the verifier is generated for.
    fn backend(&mut self) -> Result<(BackendKind, Option<String>), ConfigureError> {
        let kind = self.flags.backend.or(self.file.backend);
        let dir = self
            .flags
            .backend_dir
            .clone()
            .or_else(|| self.file.backend_dir.clone());
        let origin = if self.flags.backend.is_some() || self.flags.backend_dir.is_some() {
            Origin::Flag
        } else if kind.is_some() || dir.is_some() {
            Origin::File
        } else {
            Origin::Discovered
        };
        if kind == Some(BackendKind::None) {
            self.origins.push(("backend", origin));
            return Ok((BackendKind::None, None));
        }
        let discovered = &self.project.backends;
        if let Some(dir) = dir {
            let dir = normalize_rel(&dir);
            let found = self
                .project
                .backend_in(&dir)
                .map(|b| framework_kind(b.kind));
            let kind = match (kind, found) {
                (Some(k), Some(f)) if k != f => {
                    return Err(ConfigureError::Invalid(format!(
                        "--backend {k} does not match {dir}/, which holds a {f} app"
                    )));
                }
                (_, Some(f)) => f,
                (Some(k), None) if self.project.root.join(&dir).is_dir() => k,
                _ => {
                    return Err(ConfigureError::Invalid(format!(
                        "no FastAPI or axum backend found in {}: pass --backend fastapi|axum|none, or a --backend-dir that holds one",
                        if dir.is_empty() {
                            "the repository root".to_owned()
                        } else {
                            format!("{dir}/")
                        }
                    )));
                }
            };
            self.origins.push(("backend", origin));
            return Ok((kind, Some(dir)));
        }
        let candidates: Vec<_> = discovered
            .iter()
            .filter(|b| kind.is_none_or(|k| framework_kind(b.kind) == k))
            .collect();
        match candidates.as_slice() {
            [] if kind.is_some() => Err(ConfigureError::Invalid(format!(
                "no {} backend found: pass --backend-dir DIR, or --backend none",
                kind.unwrap_or(BackendKind::None)
            ))),
            [] => {
                self.origins.push(("backend", Origin::Discovered));
                Ok((BackendKind::None, None))
            }
            [only] => {
                self.origins.push(("backend", origin));
                Ok((framework_kind(only.kind), Some(only.dir.clone())))
            }
            several => {
                let labels: Vec<String> = several
                    .iter()
                    .map(|b| format!("{} in {}", framework_kind(b.kind), display_dir(&b.dir)))
                    .collect();
                match &mut self.mode {
                    Mode::Ask(prompter) => {
                        let i = prompter.select(
                            "Several API backends found; which one verifies tokens?",
                            &labels,
                            0,
                        )?;
                        self.origins.push(("backend", Origin::Prompt));
                        Ok((
                            framework_kind(several[i].kind),
                            Some(several[i].dir.clone()),
                        ))
                    }
                    _ => Err(ConfigureError::Invalid(format!(
                        "several API backends found ({}): choose one with --backend-dir DIR (or --backend none)",
                        labels.join(", ")
                    ))),
                }
            }
        }
    }
}

fn framework_kind(kind: BackendFramework) -> BackendKind {
    match kind {
        BackendFramework::Fastapi => BackendKind::Fastapi,
        BackendFramework::Axum => BackendKind::Axum,
    }
}

pub fn display_dir(dir: &str) -> String {
    if dir.is_empty() {
        "./".to_owned()
    } else {
        format!("{dir}/")
    }
}

/// A multi-select over every value of `all`, `defaults` ticked.
fn choose_several<T: Copy + PartialEq + fmt::Display + HelpText>(
    p: &mut dyn Prompter,
    question: &str,
    all: &[T],
    defaults: &[T],
) -> Result<Vec<T>, PromptError> {
    let ticked: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, v)| defaults.contains(v))
        .map(|(i, _)| i)
        .collect();
    let chosen = p.multi_select(
        question,
        &labels(all),
        &ticked,
        "space to toggle, enter to confirm",
    )?;
    Ok(chosen.into_iter().map(|i| all[i]).collect())
}

fn labels<T: Copy + fmt::Display + HelpText>(all: &[T]) -> Vec<String> {
    all.iter()
        .map(|v| format!("{v} — {}", v.help_text()))
        .collect()
}

trait HelpText {
    fn help_text(self) -> &'static str;
}

macro_rules! help_text {
    ($($t:ty),*) => { $(impl HelpText for $t { fn help_text(self) -> &'static str { self.help() } })* };
}
help_text!(
    Method,
    Face,
    TakeOver,
    EmailVerification,
    Algorithm,
    SessionValidation,
    DeployTarget
);

fn select<T: Copy + PartialEq + fmt::Display + HelpText>(
    prompter: &mut dyn Prompter,
    question: &str,
    all: &[T],
    default: &T,
) -> Result<T, PromptError> {
    let start = all.iter().position(|v| v == default).unwrap_or(0);
    let i = prompter.select(question, &labels(all), start)?;
    Ok(all[i])
}

fn validate_auth_dir(dir: &str, backend_dir: Option<&str>) -> Result<(), ConfigureError> {
    let bad = dir.is_empty()
        || dir.starts_with('/')
        || dir.contains('\\')
        || dir
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty());
    if bad {
        return Err(ConfigureError::Invalid(format!(
            "--auth-dir '{dir}': must be a directory inside the repository, like auth-server"
        )));
    }
    if backend_dir == Some(dir) {
        return Err(ConfigureError::Invalid(format!(
            "--auth-dir '{dir}' is the API backend's directory: the auth server needs its own"
        )));
    }
    Ok(())
}

fn validate_origins(origins: Vec<String>) -> Result<Vec<String>, ConfigureError> {
    let mut valid = Vec::new();
    for origin in origins {
        let trimmed = origin.trim().trim_end_matches('/');
        let parsed = url::Url::parse(trimmed).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.path() == "/"
                && u.query().is_none()
        });
        match parsed {
            Some(url) => {
                let origin = url.origin().ascii_serialization();
                if !valid.contains(&origin) {
                    valid.push(origin);
                }
            }
            None => {
                return Err(ConfigureError::Invalid(format!(
                    "--cors-origin '{origin}': must be an origin like https://app.example.com (scheme, host, optional port; no path, no '*')"
                )));
            }
        }
    }
    if valid.is_empty() {
        return Err(ConfigureError::Invalid(
            "--cors-origin: at least one origin is needed".into(),
        ));
    }
    Ok(valid)
}

fn validate_base_path(path: &str) -> Result<(), ConfigureError> {
    let ok = path.starts_with('/')
        && path.len() > 1
        && !path.ends_with('/')
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ConfigureError::Invalid(format!(
            "base_path '{path}' in authgen.toml: must look like /api/auth (leading slash, no trailing slash)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_checked() {
        let ok = validate_origins(vec![
            "http://localhost:3000/".into(),
            "https://App.Example.com".into(),
        ])
        .unwrap();
        assert_eq!(ok, ["http://localhost:3000", "https://app.example.com"]);
        for bad in ["*", "localhost:3000", "https://x.com/path", "ftp://x.com"] {
            assert!(validate_origins(vec![bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn auth_dir_must_stay_inside_the_repo() {
        for bad in ["", "/abs", "../up", "a/../b", "a//b", "backend"] {
            assert!(validate_auth_dir(bad, Some("backend")).is_err(), "{bad}");
        }
        assert!(validate_auth_dir("services/auth", Some("backend")).is_ok());
    }
}
