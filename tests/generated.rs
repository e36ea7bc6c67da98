//! What `authgen init` generates, one snapshot per representative configuration (loco-new
//! style): every file of the plan, rendered in process, so a template change shows up as a
//! readable diff in seconds instead of as a compile error in the e2e tier minutes later.
//! `cargo insta review` (or INSTA_UPDATE=always) accepts an intended change.

mod common;

use std::fmt::Write;

use authgen::configure::{
    self, Algorithm, Answers, EmailVerification, Face, Method, Mode, SessionValidation,
};
use authgen::discover;
use authgen::generate::{self, PlanInput, Templates};

/// Every file the plan writes, as `==> path <==` sections in path order.
fn rendered(fixture: &str, flags: Answers) -> String {
    let (_tmp, repo) = common::copy_fixture(fixture);
    let project = discover::discover(&repo).unwrap();
    let configured =
        configure::configure(&project, &flags, &Answers::default(), Mode::Defaults).unwrap();
    let templates = Templates::load(None).unwrap();
    let answers_path = repo.join(configure::ANSWERS_FILE);
    let plan = generate::plan(&PlanInput {
        project: &project,
        configured: &configured,
        templates: &templates,
        answers_path: &answers_path,
        answers_text: None,
        force: false,
    })
    .unwrap();
    let mut files: Vec<(&str, &str)> = plan
        .changes
        .iter()
        .filter(|c| c.writes())
        .filter_map(|c| Some((c.path.as_str(), c.new.as_deref()?)))
        .collect();
    files.sort();
    let mut out = String::new();
    for (path, text) in files {
        writeln!(out, "==> {path} <==\n{text}").unwrap();
    }
    out
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "snapshots/generated", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

/// The defaults on a FastAPI + Alembic backend: EdDSA, JWT validation, email and password.
#[test]
fn fastapi_defaults() {
    snapshot(
        "fastapi-eddsa-jwt",
        &rendered("fastapi-alembic", Answers::default()),
    );
}

/// An axum backend in a Cargo workspace, HS256 and database session validation.
#[test]
fn axum_hs256_database() {
    snapshot(
        "axum-hs256-database",
        &rendered(
            "axum-workspace",
            Answers {
                algorithm: Some(Algorithm::Hs256),
                session_validation: Some(SessionValidation::Database),
                ..Answers::default()
            },
        ),
    );
}

/// Every sign-in method the wizard offers, with required email verification.
#[test]
fn every_method() {
    snapshot(
        "fastapi-all-methods",
        &rendered(
            "fastapi-alembic",
            Answers {
                methods: Some(vec![
                    Method::Email,
                    Method::Google,
                    Method::Github,
                    Method::MagicLink,
                ]),
                email_verification: Some(EmailVerification::Required),
                ..Answers::default()
            },
        ),
    );
}

/// Both faces: the token API and Better Auth's, as the compatibility harness runs it.
#[test]
fn better_auth_face() {
    snapshot(
        "fastapi-better-auth",
        &rendered(
            "fastapi-alembic",
            Answers {
                faces: Some(vec![Face::Token, Face::BetterAuth]),
                ..Answers::default()
            },
        ),
    );
}

/// A repository whose auth is a Node Better Auth server: discovery reads its `betterAuth({...})`
/// (email and password, Google, the jwt plugin, trusted origins) and the server takes it over.
#[test]
fn better_auth_take_over() {
    snapshot(
        "better-auth-take-over",
        &rendered("better-auth-express", Answers::default()),
    );
}
