//! `authgen doctor` as a whole: reports (SARIF against the official schema), exit codes,
//! hostile input, a clean bill for what `authgen init` generates, git-tracked env files,
//! `secret --write`, `token` and `explain`.

mod common;

use std::path::Path;

use common::{PROJECT_FIXTURES, authgen, copy_fixture};

fn doctor(args: &[&str], dir: &Path) -> (i32, String) {
    let output = authgen()
        .arg("doctor")
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn inet_bad() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/doctor/inet-column/bad")
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    // Erratum in the published schema: the `language` patterns are not valid regexes (a stray
    // `]`), which a draft-07 validator rejects. Use the pattern the text intends.
    let schema: serde_json::Value =
        serde_json::from_str(&include_str!("data/sarif-schema-2.1.0.json").replace(
            "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
            "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
        ))
        .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for id in ["inet-column", "env-secrets", "env-file-committed"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/doctor")
            .join(id)
            .join("bad");
        let (code, out) = doctor(&["--format", "sarif"], &dir);
        assert_eq!(code, 1, "{out}");
        let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{id}: SARIF invalid: {errors:#?}");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty());
        assert_eq!(
            sarif["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            authgen::doctor::checks::all().len()
        );
        assert!(
            results
                .iter()
                .any(|r| r["fixes"][0]["artifactChanges"][0]["replacements"].is_array())
        );
    }
}

#[test]
fn formats_and_exit_codes() {
    let bad = inet_bad();
    let (code, human) = doctor(&[], &bad);
    assert_eq!(code, 1);
    assert!(human.contains("✗ inet-column"), "{human}");
    assert!(
        human.contains("backend/migrations/0002_sessions.sql:6:16"),
        "{human}"
    );
    assert!(human.contains("checks passed"), "{human}");
    let (code, _) = doctor(&["--exit-zero"], &bad);
    assert_eq!(code, 0);
    let (code, github) = doctor(&["--format", "github", "--check", "inet-column"], &bad);
    assert_eq!(code, 1);
    assert!(
        github.contains("::error file=backend/migrations/0002_sessions.sql,line=6,col=16,"),
        "{github}"
    );
    let (code, _) = doctor(&["--check", "no-such-check"], &bad);
    assert_eq!(code, 2);
    let (code, list) = doctor(&["--list-checks"], &bad);
    assert_eq!((code, list.lines().count()), (0, 12), "{list}");
    // --diff writes nothing and shows the edit.
    let (tmp, work) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap().keep(),
    );
    drop(tmp);
    common::copy_dir(&bad, &work);
    let before = common::snapshot(&work);
    let (_, diff) = doctor(&["--diff", "--check", "inet-column"], &work);
    assert!(
        diff.contains("-    ip_address INET,") && diff.contains("+    ip_address TEXT,"),
        "{diff}"
    );
    assert_eq!(before, common::snapshot(&work));
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn init_output_passes_every_check() {
    for name in PROJECT_FIXTURES {
        for extra in [
            &[][..],
            &["--algorithm", "hs256", "--session-validation", "database"][..],
        ] {
            let (_tmp, repo) = copy_fixture(name);
            let init = authgen()
                .args(["init", "--yes"])
                .args(extra)
                .arg(&repo)
                .output()
                .unwrap();
            assert!(
                init.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&init.stderr)
            );
            let (code, json) = doctor(&["--format", "json"], &repo);
            let report: serde_json::Value = serde_json::from_str(&json).unwrap();
            let findings: Vec<_> = report["checks"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["findings"].as_array().cloned().unwrap_or_default())
                .collect();
            assert!(findings.is_empty(), "{name} {extra:?}: {findings:#?}");
            assert_eq!(report["summary"]["crashed"], 0);
            assert_eq!(code, 0);
        }
    }
}

#[test]
fn hostile_input_is_reported_or_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("server/src")).unwrap();
    std::fs::write(
        root.join("server/src/latin1.ts"),
        b"const s = \"caf\xe9\";\n",
    )
    .unwrap();
    std::fs::write(
        root.join("server/package.json"),
        b"{ \"name\": \"x\", \"dependencies\": { ",
    )
    .unwrap();
    let mut big = String::with_capacity(21 << 20);
    while big.len() < 20 << 20 {
        big.push_str("var a=function(b){return b+1};");
    }
    std::fs::write(root.join("server/src/bundle.min.js"), big).unwrap();
    std::os::unix::fs::symlink("loop", root.join("loop")).unwrap();
    std::fs::create_dir_all(root.join("dir")).unwrap();
    std::os::unix::fs::symlink("..", root.join("dir/up")).unwrap();
    std::fs::write(
        root.join("migration.sql"),
        "CREATE TABLE sessions (ip_address INET",
    )
    .unwrap();
    let (code, json) = doctor(&["--format", "json"], root);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["summary"]["crashed"], 0, "{json}");
    assert!(code == 0 || code == 1, "{json}");
    let skipped = report["skipped"].to_string();
    assert!(skipped.contains("latin1.ts: not UTF-8"), "{skipped}");
    assert!(skipped.contains("bundle.min.js: larger than"), "{skipped}");
}

#[test]
fn tracked_env_files_are_found_in_the_git_index() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(root.join(".gitignore"), ".env\n").unwrap();
    std::fs::write(
        root.join(".env"),
        "AUTH_SECRET=dev-only-not-a-real-secret\n",
    )
    .unwrap();
    let repo = git2::Repository::init(root).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new(".env")).unwrap(); // tracked despite .gitignore
    index.write().unwrap();
    let (code, json) = doctor(&["--format", "json", "--check", "env-file-committed"], root);
    assert_eq!(code, 1, "{json}");
    assert!(
        json.contains(".env is tracked by git and holds AUTH_SECRET"),
        "{json}"
    );
    assert!(json.contains("display-only"), "{json}");
}

#[test]
fn secret_write_and_tokens_match_the_repository() {
    let (_tmp, repo) = copy_fixture("fastapi-alembic");
    assert!(
        authgen()
            .args(["init", "--yes", "--algorithm", "hs256"])
            .arg(&repo)
            .output()
            .unwrap()
            .status
            .success()
    );
    let out = authgen()
        .args(["secret", "--write", "--path"])
        .arg(&repo)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let server = common::read(&repo.join("auth-server/.env"));
    let backend = common::read(&repo.join("backend/.env"));
    let secret = server
        .lines()
        .find_map(|l| l.strip_prefix("AUTH_SECRET="))
        .unwrap();
    assert_eq!(secret.len(), 64);
    // The backend holds only the HS256 key derived from it, never the secret itself.
    let key = authgen::secret::hs256_verifier_key(secret);
    assert!(
        backend.contains(&format!("AUTH_JWT_KEY={key}")),
        "{backend}"
    );
    assert!(!backend.contains(secret), "{backend}");
    assert!(
        !text.contains(secret) && !text.contains(&key),
        "printed: {text}"
    );
    // A second rotation keeps the first value readable for the server's signing keys.
    let again = authgen()
        .args(["secret", "--write", "--path"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(again.status.success());
    let rotated = common::read(&repo.join("auth-server/.env"));
    assert!(
        rotated.contains(&format!("AUTH_SECRET_PREVIOUS={secret}")),
        "{rotated}"
    );
    assert!(!rotated.contains(&format!("AUTH_SECRET={secret}")));
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("kept the old value as AUTH_SECRET_PREVIOUS")
    );
    let mint = authgen()
        .args(["token", "mint", "--path"])
        .arg(&repo)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&mint.stdout).trim().to_owned();
    let verify = authgen()
        .args(["token", "verify", &token, "--path"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 3.., "AAA");
    let verify = authgen()
        .args(["token", "verify", &forged, "--path"])
        .arg(&repo)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1));
    assert!(text.contains("✗ signature"), "{text}");
}

#[test]
fn explain_names_the_check_and_runs_it() {
    let out = authgen()
        .args([
            "explain",
            "error: column \"ip_address\" is of type inet but expression is of type text",
            "--path",
        ])
        .arg(inet_bad())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(text.contains("Matching checks: inet-column"), "{text}");
    assert!(text.contains("✗ inet-column"), "{text}");
    assert!(text.contains("## How to fix"), "{text}");
}

/// After `authgen init` takes a Better Auth server over, the doctor reports a generated
/// server that lacks Better Auth's secret, and is quiet once AUTH_SECRET_PREVIOUS holds it.
#[test]
fn a_take_over_without_the_old_secret_is_reported() {
    let (_tmp, repo) = copy_fixture("better-auth-express");
    let init = authgen()
        .args(["init", "--yes"])
        .arg(&repo)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let old = "0123456789abcdef0123456789abcdef0123456789abcdef";
    let new = "fedcba9876543210fedcba9876543210fedcba9876543210";
    let database = "DATABASE_URL=postgres://app:fixture-not-a-password@localhost:5432/app\n";
    std::fs::write(
        repo.join("server/.env"),
        format!("BETTER_AUTH_SECRET={old}\n{database}"),
    )
    .unwrap();
    std::fs::write(
        repo.join("auth-server/.env"),
        format!("AUTH_SECRET={new}\n{database}"),
    )
    .unwrap();
    let (code, out) = doctor(&["--check", "env-secrets"], &repo);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("none of AUTH_SECRET, AUTH_SECRET_PREVIOUS is the BETTER_AUTH_SECRET of the Better Auth server this server takes over (server/.env)"),
        "{out}"
    );
    std::fs::write(
        repo.join("auth-server/.env"),
        format!("AUTH_SECRET={new}\nAUTH_SECRET_PREVIOUS={old}\n{database}"),
    )
    .unwrap();
    let (code, out) = doctor(&["--check", "env-secrets"], &repo);
    assert_eq!(code, 0, "{out}");
}
