//! `authgen init` end to end through the binary, on copies of the project fixtures.

mod common;

use common::*;

/// Where each fixture's auth server docs must land, and facts the plan output must show.
struct Expect {
    fixture: &'static str,
    facts: &'static [&'static str],
    answers: &'static [&'static str],
}

const EXPECTATIONS: &[Expect] = &[
    Expect {
        fixture: "fastapi-alembic",
        facts: &[
            "FastAPI in backend/ · entry backend/app/main.py (app) · package backend/app · 2 routers · engine app.db.engine · deps in backend/requirements.txt",
            "migrations     Alembic in backend/alembic/versions/",
            "Database         local PostgreSQL (DATABASE_URL in backend/.env)",
        ],
        answers: &[
            "backend = \"fastapi\"",
            "backend_dir = \"backend\"",
            "cors_origins = [\"http://localhost:3000\"]",
        ],
    },
    Expect {
        fixture: "monorepo",
        facts: &[
            "FastAPI in apps/api/ · entry apps/api/src/api/main.py (app) · package apps/api/src/api",
            "deps in apps/api/pyproject.toml",
            "Neon (DATABASE_URL in apps/api/.env)",
            "Next.js in frontend/ · origin http://localhost:3100",
        ],
        answers: &[
            "backend_dir = \"apps/api\"",
            "cors_origins = [\"http://localhost:3100\"]",
        ],
    },
    Expect {
        fixture: "axum-workspace",
        facts: &[
            "axum in crates/api/ · entry crates/api/src/main.rs · deps in crates/api/Cargo.toml",
            "migrations     sqlx in crates/api/migrations/",
            "Cargo workspace  Cargo.toml · 2 members",
            "local PostgreSQL (DATABASE_URL in .env)",
        ],
        answers: &["backend = \"axum\"", "backend_dir = \"crates/api\""],
    },
    Expect {
        fixture: "speckit",
        facts: &[
            "FastAPI in api/ · entry api/main.py (app)",
            "migrations     raw SQL in api/migrations/",
            "Supabase (DATABASE_URL in api/.env)",
            "Spec-Kit         .specify/ present",
        ],
        answers: &["backend_dir = \"api\""],
    },
    Expect {
        fixture: "empty",
        facts: &["API backend      none found", "Frontend         none found"],
        answers: &["backend = \"none\""],
    },
];

const DOCS: &[&str] = &[
    "README.md",
    "API_DOCUMENTATION.md",
    "SETUP.md",
    "TROUBLESHOOTING.md",
];

#[test]
fn dry_run_prints_facts_and_plan_and_writes_nothing() {
    for expect in EXPECTATIONS {
        let (_tmp, repo) = copy_fixture(expect.fixture);
        let before = snapshot(&repo);
        let run = run(&["init", "--yes", "--dry-run"], &repo);
        assert_eq!(
            run.code, 0,
            "{}: {}{}",
            expect.fixture, run.stdout, run.stderr
        );
        for fact in expect.facts {
            assert!(
                run.stdout.contains(fact),
                "{}: missing fact {fact:?} in\n{}",
                expect.fixture,
                run.stdout
            );
        }
        for doc in DOCS {
            assert!(
                run.stdout.contains(&format!("create    auth-server/{doc}")),
                "{}: {}",
                expect.fixture,
                run.stdout
            );
        }
        assert!(
            run.stdout.contains("create    authgen.toml"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("create    .authgen/manifest.toml"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("nothing was written (--dry-run)"),
            "{}",
            run.stdout
        );
        assert_eq!(
            snapshot(&repo),
            before,
            "{}: --dry-run changed the tree",
            expect.fixture
        );
    }
}

#[test]
fn init_writes_into_discovered_places_and_a_second_run_changes_nothing() {
    for expect in EXPECTATIONS {
        let (_tmp, repo) = copy_fixture(expect.fixture);
        let first = run(&["init", "--yes"], &repo);
        assert_eq!(
            first.code, 0,
            "{}: {}{}",
            expect.fixture, first.stdout, first.stderr
        );
        for doc in DOCS {
            let text = read(&repo.join("auth-server").join(doc));
            assert!(
                !text.contains("{{ ") && !text.contains("{%"),
                "{}: unrendered Tera in {doc}",
                expect.fixture
            );
        }
        let answers = read(&repo.join("authgen.toml"));
        for line in expect.answers {
            assert!(
                answers.contains(line),
                "{}: {line:?} not in authgen.toml:\n{answers}",
                expect.fixture
            );
        }
        let manifest = read(&repo.join(".authgen/manifest.toml"));
        for doc in DOCS {
            assert!(
                manifest.contains(&format!("path = \"auth-server/{doc}\"")),
                "{manifest}"
            );
        }
        assert!(first.stdout.contains("Done: wrote "), "{}", first.stdout);
        for file in [
            "Cargo.toml",
            "src/main.rs",
            "src/keys.rs",
            "migrations/0001_init.sql",
            "tests/api.rs",
        ] {
            assert!(
                repo.join("auth-server").join(file).is_file(),
                "{}: {file}",
                expect.fixture
            );
        }

        let after_first = snapshot(&repo);
        let second = run(&["init", "--yes"], &repo);
        assert_eq!(second.code, 0, "{}", second.stderr);
        assert!(
            second
                .stdout
                .contains("every file is up to date; nothing to do"),
            "{}",
            second.stdout
        );
        assert_eq!(
            snapshot(&repo),
            after_first,
            "{}: the second run changed bytes",
            expect.fixture
        );

        // Without --yes and without a terminal, the recorded answers are enough.
        let third = run(&["init"], &repo);
        assert_eq!(third.code, 0, "{}{}", third.stdout, third.stderr);
        assert_eq!(snapshot(&repo), after_first);
    }
}

#[test]
fn docs_use_the_repos_real_paths() {
    let (_tmp, repo) = copy_fixture("monorepo");
    let run = run(
        &[
            "init",
            "--yes",
            "--algorithm",
            "hs256",
            "--methods",
            "email,google",
        ],
        &repo,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let setup = read(&repo.join("auth-server/SETUP.md"));
    assert!(setup.contains("apps/api"), "SETUP.md names the backend dir");
    assert!(
        !run.stdout.contains("does not generate them yet"),
        "Google sign-in is generated: {}",
        run.stdout
    );
    assert!(
        setup.contains("GOOGLE_CLIENT_ID")
            && setup.contains("http://localhost:4000/api/auth/oauth/google/callback")
            && !setup.contains("GITHUB_CLIENT_ID"),
        "the chosen provider's variables and callback URL, no other's"
    );
    let api = read(&repo.join("auth-server/API_DOCUMENTATION.md"));
    assert!(api.contains("/api/auth/signin"));
    assert!(
        !api.contains("/api/auth/jwks"),
        "no JWKS endpoint with HS256"
    );
    let troubleshooting = read(&repo.join("auth-server/TROUBLESHOOTING.md"));
    for id in [
        "route-order",
        "inet-column",
        "cookie-flags",
        "session-validation",
    ] {
        assert!(
            troubleshooting.contains(id),
            "TROUBLESHOOTING.md covers {id}"
        );
    }
}

#[test]
fn an_edited_file_is_a_conflict_with_a_diff_and_force_replaces_it() {
    let (_tmp, repo) = copy_fixture("fastapi-alembic");
    assert_eq!(run(&["init", "--yes"], &repo).code, 0);
    let setup = repo.join("auth-server/SETUP.md");
    let edited = format!(
        "{}\n## Our notes\nThe staging database is rebuilt nightly.\n",
        read(&setup)
    );
    std::fs::write(&setup, &edited).unwrap();

    // A changed answer wants to re-render every doc; the edited one must survive.
    let run1 = run(&["init", "--yes", "--algorithm", "hs256"], &repo);
    assert_eq!(
        run1.code, 1,
        "conflicts exit 1: {}{}",
        run1.stdout, run1.stderr
    );
    assert!(
        run1.stdout.contains("conflict  auth-server/SETUP.md"),
        "{}",
        run1.stdout
    );
    assert!(
        run1.stdout.contains("edited since authgen wrote it"),
        "{}",
        run1.stdout
    );
    assert!(
        run1.stdout
            .contains("-The staging database is rebuilt nightly."),
        "the diff shows the edit:\n{}",
        run1.stdout
    );
    assert!(
        run1.stdout.contains("update    auth-server/README.md"),
        "{}",
        run1.stdout
    );
    assert_eq!(read(&setup), edited, "the edit is kept");
    assert!(read(&repo.join("authgen.toml")).contains("algorithm = \"hs256\""));

    // Still a conflict on the next run: the manifest keeps the hash authgen wrote.
    let run2 = run(&["init", "--yes"], &repo);
    assert_eq!(run2.code, 1, "{}", run2.stdout);
    assert_eq!(read(&setup), edited);

    let forced = run(&["init", "--yes", "--force"], &repo);
    assert_eq!(forced.code, 0, "{}{}", forced.stdout, forced.stderr);
    assert!(
        forced.stdout.contains("replace   auth-server/SETUP.md"),
        "{}",
        forced.stdout
    );
    assert!(!read(&setup).contains("rebuilt nightly"));
    assert!(read(&setup).contains("hs256") || read(&setup).contains("HS256"));
    let again = run(&["init", "--yes"], &repo);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
}

#[test]
fn a_file_authgen_did_not_write_is_never_overwritten() {
    let (_tmp, repo) = copy_fixture("empty");
    std::fs::create_dir_all(repo.join("auth-server")).unwrap();
    std::fs::write(repo.join("auth-server/README.md"), "# our own auth notes\n").unwrap();
    let run = run(&["init", "--yes"], &repo);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("exists and was not written by authgen"),
        "{}",
        run.stdout
    );
    assert_eq!(
        read(&repo.join("auth-server/README.md")),
        "# our own auth notes\n"
    );
    assert!(
        repo.join("auth-server/SETUP.md").is_file(),
        "the other files are written"
    );
}

#[test]
fn no_terminal_and_no_yes_exits_2_naming_the_flags() {
    let (_tmp, repo) = copy_fixture("fastapi-alembic");
    let before = snapshot(&repo);
    let started = std::time::Instant::now();
    let run = run(&["init"], &repo);
    let elapsed = started.elapsed();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    for flag in [
        "--methods",
        "--algorithm",
        "--session-validation",
        "--cors-origin",
        "--deploy",
        "--yes",
    ] {
        assert!(
            run.stderr.contains(flag),
            "{flag} not named in: {}",
            run.stderr
        );
    }
    assert_eq!(snapshot(&repo), before, "nothing written");
    eprintln!("no-terminal exit took {elapsed:?}");
}

#[test]
fn flags_and_env_and_file_take_precedence_in_that_order() {
    let (_tmp, repo) = copy_fixture("empty");
    std::fs::write(
        repo.join("authgen.toml"),
        "# keep me\nalgorithm = \"hs256\"\ndeploy = \"fly\"\nsession_days = 30\n",
    )
    .unwrap();
    let output = authgen()
        .args(["init", "--yes", "--deploy", "railway"])
        .arg(&repo)
        .env("AUTHGEN_SESSION_DAYS", "14")
        .env("AUTHGEN_DEPLOY", "local")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers = read(&repo.join("authgen.toml"));
    assert!(
        answers.starts_with("# keep me\n"),
        "comments preserved: {answers}"
    );
    assert!(
        answers.contains("algorithm = \"hs256\""),
        "file beats default"
    );
    assert!(
        answers.contains("deploy = \"railway\""),
        "flag beats env and file"
    );
    assert!(answers.contains("session_days = 14"), "env beats file");
}

/// The faces answer, each way it can be given: a flag, `AUTHGEN_FACES`, authgen.toml, and
/// the default from discovery (a frontend that depends on `better-auth`).
#[test]
fn the_better_auth_face_is_chosen_by_flag_env_file_or_a_better_auth_frontend() {
    let better_auth =
        |repo: &std::path::Path| repo.join("auth-server/src/better_auth/mod.rs").exists();
    let init = |fixture: &str, args: &[&str], env: &[(&str, &str)], file: Option<&str>| {
        let (tmp, repo) = copy_fixture(fixture);
        if let Some(text) = file {
            std::fs::write(repo.join("authgen.toml"), text).unwrap();
        }
        let mut command = authgen();
        command
            .args(["init", "--yes", "--no-doctor"])
            .args(args)
            .arg(&repo);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (tmp, repo, stdout)
    };

    let (_t, repo, _) = init("empty", &[], &[], None);
    assert!(!better_auth(&repo), "token API only by default");
    assert!(!read(&repo.join("authgen.toml")).contains("faces"));

    let (_t, repo, _) = init("empty", &["--faces", "token,better-auth"], &[], None);
    assert!(better_auth(&repo), "--faces");
    assert!(read(&repo.join("authgen.toml")).contains("faces = [\"token\", \"better-auth\"]"));

    let (_t, repo, _) = init(
        "empty",
        &[],
        &[("AUTHGEN_FACES", "better-auth,token")],
        None,
    );
    assert!(better_auth(&repo), "AUTHGEN_FACES");

    let file = "faces = [\"token\", \"better-auth\"]\n";
    let (_t, repo, _) = init("empty", &[], &[], Some(file));
    assert!(better_auth(&repo), "authgen.toml");

    let (_t, repo, stdout) = init("monorepo", &[], &[], None);
    assert!(
        better_auth(&repo),
        "a frontend using the better-auth client"
    );
    assert!(
        stdout.contains("token, better-auth (frontend/ uses the better-auth client)"),
        "the plan says why: {stdout}"
    );
    let (_t, repo, _) = init("monorepo", &["--faces", "token"], &[], None);
    assert!(!better_auth(&repo), "the flag overrides discovery");
    assert!(
        read(&repo.join("authgen.toml")).contains("faces = [\"token\"]"),
        "recorded, so a re-run does not switch back to the discovered default"
    );

    let (_t, repo) = copy_fixture("empty");
    let refused = run(&["init", "--yes", "--faces", "better-auth"], &repo);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("--faces"), "{}", refused.stderr);
}

#[test]
fn several_backends_need_a_choice() {
    let (_tmp, repo) = copy_fixture("ambiguous");
    let run1 = run(&["init", "--yes"], &repo);
    assert_eq!(run1.code, 2);
    assert!(run1.stderr.contains("--backend-dir"), "{}", run1.stderr);
    assert!(
        run1.stderr.contains("backend/") && run1.stderr.contains("services/api/"),
        "{}",
        run1.stderr
    );
    let run2 = run(&["init", "--yes", "--backend-dir", "services/api"], &repo);
    assert_eq!(run2.code, 0, "{}{}", run2.stdout, run2.stderr);
    assert!(read(&repo.join("authgen.toml")).contains("backend_dir = \"services/api\""));
}

#[test]
fn bad_answers_are_clear_errors() {
    let (_tmp, repo) = copy_fixture("empty");
    let cases: &[(&[&str], &str)] = &[
        (&["--cors-origin", "*"], "--cors-origin '*'"),
        (&["--auth-dir", "../outside"], "--auth-dir '../outside'"),
        (&["--access-minutes", "0"], "--access-minutes"),
        (&["--methods", "password"], "--methods"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["init", "--yes"];
        args.extend_from_slice(flags);
        let run = run(&args, &repo);
        assert_eq!(run.code, 2, "{flags:?}");
        assert!(run.stderr.contains(expected), "{flags:?}: {}", run.stderr);
    }
    std::fs::write(repo.join("authgen.toml"), "algorithm = \"rs256\"\n").unwrap();
    let run = run(&["init", "--yes"], &repo);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("authgen.toml") && run.stderr.contains("line 1"),
        "{}",
        run.stderr
    );
    assert!(
        !repo.join("auth-server").exists(),
        "nothing written on a bad answer"
    );
}

#[test]
fn template_overrides_are_reported_and_can_add_files() {
    let (_tmp, repo) = copy_fixture("empty");
    let overrides = repo.parent().unwrap().join("my-templates");
    std::fs::create_dir_all(overrides.join("docs")).unwrap();
    std::fs::write(
        overrides.join("docs/README.md.tera"),
        "# {{ project.name }} auth server (our template)\n",
    )
    .unwrap();
    std::fs::write(
        overrides.join("CODEOWNERS.tera"),
        "{{ config.auth_dir }}/ @security-team\n",
    )
    .unwrap();
    std::fs::write(
        overrides.join("catalog.toml"),
        "[[file]]\ntemplate = \"CODEOWNERS.tera\"\noutput = \".github/CODEOWNERS\"\n",
    )
    .unwrap();
    let t = overrides.to_str().unwrap();
    let run = run(&["init", "--yes", "--templates", t], &repo);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("docs/README.md.tera overridden from"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("CODEOWNERS.tera added from"),
        "{}",
        run.stdout
    );
    assert_eq!(
        read(&repo.join("auth-server/README.md")),
        "# empty auth server (our template)\n"
    );
    assert_eq!(
        read(&repo.join(".github/CODEOWNERS")),
        "auth-server/ @security-team\n"
    );
    let again = self::run(&["init", "--yes", "--templates", t], &repo);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
}

#[test]
fn the_auth_server_joins_an_existing_cargo_workspace() {
    let (_tmp, repo) = copy_fixture("axum-workspace");
    let before = read(&repo.join("Cargo.toml"));
    let run = run(&["init", "--yes"], &repo);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("update    Cargo.toml"),
        "{}",
        run.stdout
    );
    let workspace = read(&repo.join("Cargo.toml"));
    assert!(
        workspace.contains("    \"crates/core\",\n    \"auth-server\",\n]"),
        "{workspace}"
    );
    for comment in before.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(workspace.contains(comment), "comment {comment:?} lost");
    }
    let again = self::run(&["init", "--yes"], &repo);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
}

#[test]
fn obsolete_generated_files_are_removed_unless_edited() {
    let (_tmp, repo) = copy_fixture("empty");
    assert_eq!(run(&["init", "--yes", "--deploy", "fly"], &repo).code, 0);
    assert!(repo.join("auth-server/fly.toml").is_file());
    let switched = run(&["init", "--yes", "--deploy", "railway"], &repo);
    assert_eq!(switched.code, 0, "{}", switched.stdout);
    assert!(
        switched.stdout.contains("remove    auth-server/fly.toml"),
        "{}",
        switched.stdout
    );
    assert!(!repo.join("auth-server/fly.toml").exists());
    assert!(repo.join("auth-server/railway.json").is_file());
    // Edited, then obsolete: kept.
    std::fs::write(repo.join("auth-server/railway.json"), "{\"build\": {}}\n").unwrap();
    let back = run(&["init", "--yes", "--deploy", "fly"], &repo);
    assert_eq!(back.code, 1, "{}", back.stdout);
    assert!(
        back.stdout.contains("no longer generated, but edited"),
        "{}",
        back.stdout
    );
    assert_eq!(
        read(&repo.join("auth-server/railway.json")),
        "{\"build\": {}}\n"
    );
    assert!(repo.join("auth-server/fly.toml").is_file());
}

#[test]
fn never_writes_through_a_symlink() {
    let (_tmp, repo) = copy_fixture("empty");
    let outside = repo.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("auth-server")).unwrap();
    let run = run(&["init", "--yes"], &repo);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("auth-server is a symlink"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside the repo"
    );
}

#[test]
fn completions_are_printed() {
    let output = authgen().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("--session-validation"));
}
