//! Spec-Kit repos get prompt history records and, with consent, ADRs.

mod common;

use std::path::Path;

use common::*;

/// Put the copy on branch `004-auth-server` (an unborn branch is enough for discovery).
fn on_branch(repo: &Path, branch: &str) {
    let git = git2::Repository::init(repo).unwrap();
    git.set_head(&format!("refs/heads/{branch}")).unwrap();
}

fn front_matter(text: &str) -> serde_yaml::Value {
    let rest = text.strip_prefix("---\n").expect("front matter");
    let (yaml, _) = rest.split_once("\n---\n").expect("closed front matter");
    serde_yaml::from_str(yaml).unwrap()
}

fn records(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// No unresolved placeholder of a template (Tera, Spec-Kit's `[TITLE]`/`PROMPT_TEXT`, ...).
fn assert_no_placeholders(name: &str, text: &str) {
    for placeholder in [
        "{{",
        "}}",
        "{%",
        "[TITLE]",
        "ID",
        "PROMPT_TEXT",
        "RESPONSE_TEXT",
    ] {
        assert!(
            !text.contains(placeholder),
            "{name} holds {placeholder:?}:\n{text}"
        );
    }
}

/// The three records of one init run on the speckit fixture's feature branch: ids after the
/// fixture's own two, the seed's stages in the front matter and the file names.
fn assert_feature_records(dir: &Path, names: &[String], diagnostics_stage: &str) {
    assert_eq!(
        names,
        [
            "0001-draft-auth-spec.spec.prompt.md".to_owned(),
            "0002-plan-auth-server.plan.prompt.md".to_owned(),
            "0003-auth-configuration-selected.spec.prompt.md".to_owned(),
            "0004-auth-components-generated.plan.prompt.md".to_owned(),
            format!("0005-auth-integration-diagnostics-completed.{diagnostics_stage}.prompt.md"),
        ]
    );
    for (name, id, stage) in [
        (&names[2], 3, "spec"),
        (&names[3], 4, "plan"),
        (&names[4], 5, diagnostics_stage),
    ] {
        let text = read(&dir.join(name));
        let meta = front_matter(&text);
        assert_eq!(meta["id"].as_u64(), Some(id), "{name}");
        assert_eq!(meta["stage"].as_str(), Some(stage));
        assert_eq!(meta["feature"].as_str(), Some("auth-server"));
        assert_eq!(meta["branch"].as_str(), Some("004-auth-server"));
        assert_eq!(
            meta["links"]["spec"].as_str(),
            Some("specs/004-auth-server/spec.md")
        );
        assert_no_placeholders(name, &text);
    }
}

#[test]
fn speckit_repo_gets_spec_plan_and_green_records_with_incremented_ids() {
    let (_tmp, repo) = copy_fixture("speckit");
    on_branch(&repo, "004-auth-server");
    let run1 = run(&["init", "--yes", "--algorithm", "hs256"], &repo);
    assert_eq!(run1.code, 0, "{}{}", run1.stdout, run1.stderr);
    assert!(
        run1.stdout.contains("12/12 checks passed"),
        "{}",
        run1.stdout
    );

    let dir = repo.join("history/prompts/auth-server");
    let names = records(&dir);
    assert_feature_records(&dir, &names, "green");
    let config_record = read(&dir.join(&names[2]));
    assert!(
        config_record.contains("- algorithm: hs256 (flag/env)"),
        "{config_record}"
    );
    // The discovery results, as the report showed them.
    assert!(config_record.contains("FastAPI in api/"), "{config_record}");
    let generate_record = read(&dir.join(&names[3]));
    assert!(
        generate_record.contains("- auth-server/SETUP.md"),
        "{generate_record}"
    );
    let diagnostics = read(&dir.join(&names[4]));
    assert!(
        diagnostics.contains("`authgen doctor`: 12/12 checks passed.")
            && diagnostics.contains("- route-order: passed")
            && diagnostics.contains("Fixes applied: none."),
        "{diagnostics}"
    );

    // Without consent (no --adr, no terminal) no ADR is written, and the output says how.
    assert!(!repo.join("history/adr").exists());
    assert!(run1.stdout.contains("pass --adr"), "{}", run1.stdout);

    // A run that changes nothing writes no records.
    let before = snapshot(&repo);
    let run2 = run(&["init", "--yes"], &repo);
    assert!(run2.stdout.contains("nothing to do"), "{}", run2.stdout);
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn a_failing_doctor_run_is_recorded_red_with_its_findings() {
    let (_tmp, repo) = copy_fixture("speckit");
    on_branch(&repo, "004-auth-server");
    // The user's own migration stores the session address as INET (`inet-column`, an error).
    std::fs::write(
        repo.join("api/migrations/003_sessions.sql"),
        "CREATE TABLE audit (id SERIAL PRIMARY KEY, ip_address INET);\n",
    )
    .unwrap();
    let run1 = run(&["init", "--yes"], &repo);
    assert_eq!(run1.code, 0, "{}{}", run1.stdout, run1.stderr);
    assert!(run1.stdout.contains("[inet-column]"), "{}", run1.stdout);

    let dir = repo.join("history/prompts/auth-server");
    let names = records(&dir);
    assert_feature_records(&dir, &names, "red");
    let diagnostics = read(&dir.join(&names[4]));
    let meta = front_matter(&diagnostics);
    assert_eq!(
        meta["files"][0].as_str(),
        Some("api/migrations/003_sessions.sql"),
        "{diagnostics}"
    );
    assert!(
        diagnostics.contains("`authgen doctor`: 11/12 checks passed.")
            && diagnostics.contains("- inet-column: 1 finding(s)")
            && diagnostics.contains("  - error api/migrations/003_sessions.sql:1:")
            && diagnostics.contains("`authgen doctor --diff` shows them"),
        "{diagnostics}"
    );
}

#[test]
fn adrs_are_written_with_consent_once() {
    let (_tmp, repo) = copy_fixture("speckit");
    on_branch(&repo, "004-auth-server");
    let run1 = run(
        &["init", "--yes", "--adr", "--session-validation", "database"],
        &repo,
    );
    assert_eq!(run1.code, 0, "{}{}", run1.stdout, run1.stderr);
    let adrs = records(&repo.join("history/adr"));
    assert_eq!(
        adrs,
        [
            "0001-separate-auth-server.md",
            "0002-session-validation-strategy.md",
            "0003-shared-database.md"
        ]
    );
    let strategy = read(&repo.join("history/adr/0002-session-validation-strategy.md"));
    assert!(
        strategy.starts_with("# ADR-0002: Session validation strategy — database"),
        "{strategy}"
    );
    assert!(strategy.contains("sign-out or a revoked session takes effect on the next request"));
    let shared = read(&repo.join("history/adr/0003-shared-database.md"));
    assert!(shared.contains("supabase"), "{shared}");

    // A later run that changes something writes new PHRs but no duplicate ADRs.
    let run2 = run(
        &["init", "--yes", "--adr", "--session-validation", "jwt"],
        &repo,
    );
    assert_eq!(run2.code, 0, "{}", run2.stdout);
    assert_eq!(records(&repo.join("history/adr")).len(), 3);
    assert_eq!(records(&repo.join("history/prompts/auth-server")).len(), 8);
}

#[test]
fn records_go_to_general_without_a_feature_branch_and_can_be_forced_on() {
    let (_tmp, repo) = copy_fixture("fastapi-alembic");
    on_branch(&repo, "main");
    let run = run(&["init", "--yes", "--records", "on"], &repo);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let names = records(&repo.join("history/prompts/general"));
    assert_eq!(
        names,
        [
            "0001-auth-configuration-selected.general.prompt.md",
            "0002-auth-components-generated.general.prompt.md",
            "0003-auth-integration-diagnostics-completed.general.prompt.md",
        ]
    );
    for name in &names {
        assert_no_placeholders(
            name,
            &read(&repo.join("history/prompts/general").join(name)),
        );
    }
    assert!(read(&repo.join("authgen.toml")).contains("records = \"on\""));
}

#[test]
fn records_off_writes_none_in_a_speckit_repo() {
    let (_tmp, repo) = copy_fixture("speckit");
    let run = run(&["init", "--yes", "--records", "off"], &repo);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        records(&repo.join("history/prompts/auth-server")).len(),
        2,
        "only the fixture's own"
    );
}
