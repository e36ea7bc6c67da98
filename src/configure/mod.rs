//! Stage 2: the answers. Each comes from, in order of precedence: a flag or `AUTHGEN_*`
//! variable, `authgen.toml`, a prompt, or the default (often derived from discovery).

mod answers_file;
mod options;
mod prompt;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use answers_file::{ANSWERS_FILE, AnswersError, read_answers, render_answers};
pub use options::{
    Algorithm, BackendKind, DeployTarget, EmailVerification, Method, RecordsMode, SessionValidation,
};
pub use prompt::{InquirePrompter, PromptError, Prompter};

use crate::discover::{AuthServerKind, BackendFramework, Project, normalize_rel};

/// A partial set of answers: what the flags, the environment or authgen.toml say.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    pub backend: Option<BackendKind>,
    pub backend_dir: Option<String>,
    pub auth_dir: Option<String>,
    pub base_path: Option<String>,
    pub port: Option<u16>,
    pub methods: Option<Vec<Method>>,
    pub email_verification: Option<EmailVerification>,
    pub algorithm: Option<Algorithm>,
    pub session_validation: Option<SessionValidation>,
    pub access_minutes: Option<u32>,
    pub session_days: Option<u32>,
    pub cors_origins: Option<Vec<String>>,
    pub deploy: Option<DeployTarget>,
    pub records: Option<RecordsMode>,
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
    pub email_verification: EmailVerification,
    pub algorithm: Algorithm,
    pub session_validation: SessionValidation,
    pub access_minutes: u32,
    pub session_days: u32,
    pub cors_origins: Vec<String>,
    pub deploy: DeployTarget,
    pub records: RecordsMode,
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

/// A question `init` can ask. Every one has a flag.
#[derive(Debug)]
pub struct Question {
    pub key: &'static str,
    pub flag: &'static str,
    pub label: &'static str,
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.flag, self.label)
    }
}

macro_rules! question {
    ($name:ident, $key:literal, $flag:literal, $label:literal) => {
        pub static $name: Question = Question {
            key: $key,
            flag: $flag,
            label: $label,
        };
    };
}

pub mod questions {
    use super::Question;
    question!(
        BACKEND_DIR,
        "backend_dir",
        "--backend-dir DIR",
        "which API backend verifies tokens (--backend-dir)"
    );
    question!(
        AUTH_DIR,
        "auth_dir",
        "--auth-dir DIR",
        "auth server directory (--auth-dir)"
    );
    question!(
        METHODS,
        "methods",
        "--methods email,google,github,magic-link",
        "sign-in methods (--methods)"
    );
    question!(
        EMAIL_VERIFICATION,
        "email_verification",
        "--email-verification required|off",
        "email verification (--email-verification)"
    );
    question!(
        ALGORITHM,
        "algorithm",
        "--algorithm eddsa|hs256",
        "JWT algorithm (--algorithm)"
    );
    question!(
        SESSION_VALIDATION,
        "session_validation",
        "--session-validation jwt|database",
        "session validation (--session-validation)"
    );
    question!(
        ACCESS_MINUTES,
        "access_minutes",
        "--access-minutes N",
        "access-token lifetime (--access-minutes)"
    );
    question!(
        SESSION_DAYS,
        "session_days",
        "--session-days N",
        "session lifetime (--session-days)"
    );
    question!(
        CORS_ORIGINS,
        "cors_origins",
        "--cors-origin URL",
        "allowed browser origins (--cors-origin)"
    );
    question!(
        DEPLOY,
        "deploy",
        "--deploy docker|railway|fly|local",
        "deploy target (--deploy)"
    );
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
        use questions::*;
        let (backend, backend_dir) = self.backend()?;

        let default_auth_dir = match &self.project.auth_server {
            Some(server) if server.kind == AuthServerKind::Authgen => server.dir.clone(),
            _ => DEFAULT_AUTH_DIR.to_owned(),
        };
        let auth_dir = self.answer(
            &AUTH_DIR,
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

        let methods = self.answer(
            &METHODS,
            |a| a.methods.clone(),
            vec![Method::Email],
            |p, d| {
                let defaults: Vec<usize> = Method::ALL
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| d.contains(m))
                    .map(|(i, _)| i)
                    .collect();
                let chosen = p.multi_select(
                    "Sign-in methods",
                    &labels(Method::ALL),
                    &defaults,
                    "space to toggle, enter to confirm",
                )?;
                Ok(chosen.into_iter().map(|i| Method::ALL[i]).collect())
            },
        )?;
        let mut methods = methods;
        methods.sort();
        methods.dedup();
        if methods.is_empty() {
            return Err(ConfigureError::Invalid(
                "at least one sign-in method is needed (--methods)".into(),
            ));
        }

        let email_verification = if methods.contains(&Method::Email) {
            self.answer(
                &EMAIL_VERIFICATION,
                |a| a.email_verification,
                EmailVerification::Off,
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
        let algorithm = self.answer(
            &ALGORITHM,
            |a| a.algorithm,
            Algorithm::Eddsa,
            |p, d| select(p, "JWT signing algorithm", Algorithm::ALL, d),
        )?;
        let session_validation = self.answer(
            &SESSION_VALIDATION,
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
            &ACCESS_MINUTES,
            |a| a.access_minutes,
            15,
            |p, d| p.number("Access-token lifetime (minutes)", *d, 1, 1440),
        )?;
        let session_days = self.answer(
            &SESSION_DAYS,
            |a| a.session_days,
            7,
            |p, d| p.number("Session lifetime (days)", *d, 1, 365),
        )?;
        let default_origins = vec![
            self.project
                .frontend
                .as_ref()
                .map_or_else(|| "http://localhost:3000".to_owned(), |f| f.origin.clone()),
        ];
        let cors_origins = self.answer(
            &CORS_ORIGINS,
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
        let cors_origins = validate_origins(cors_origins)?;
        let deploy = self.answer(
            &DEPLOY,
            |a| a.deploy,
            DeployTarget::Docker,
            |p, d| select(p, "Deploy target", DeployTarget::ALL, d),
        )?;

        let base_path = self.settled(
            "base_path",
            self.flags.base_path.clone().or(self.file.base_path.clone()),
            DEFAULT_BASE_PATH.to_owned(),
        );
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
