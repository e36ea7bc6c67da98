//! Every check on its fixtures (fixtures/doctor/<id>/): findings on `bad/` at the expected
//! places (json snapshot) and as a person reads them (the human report, clippy `.stderr`
//! style, in `<id>-bad-human.snap`), nothing on `good/`, and `--fix` on a copy of `bad/` producing
//! exactly `fixed/` (or `fixed-unsafe/` with `--unsafe-fixes`), after which only the findings
//! that had no such fix are left (none, when every finding is fixable).

mod common;

use std::path::{Path, PathBuf};

use common::{authgen, copy_dir};

fn fixture_dir(id: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/doctor")
        .join(id)
}

fn doctor(dir: &Path, id: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let output = authgen()
        .args([
            "doctor",
            "--format",
            "json",
            "--fail-on",
            "warning",
            "--check",
            id,
        ])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{id}: doctor output is not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), json, stdout)
}

fn findings(json: &serde_json::Value) -> Vec<serde_json::Value> {
    json["checks"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `expected` may hold `<generated-secret>` where a fix writes a fresh 64-hex-digit secret.
fn same_text(expected: &str, actual: &str) -> bool {
    let (e_lines, a_lines): (Vec<&str>, Vec<&str>) =
        (expected.split('\n').collect(), actual.split('\n').collect());
    e_lines.len() == a_lines.len()
        && e_lines
            .iter()
            .zip(&a_lines)
            .all(|(e, a)| match e.split_once("<generated-secret>") {
                None => e == a,
                Some((before, after)) => {
                    a.len() == before.len() + 64 + after.len()
                        && a.starts_with(before)
                        && a.ends_with(after)
                        && a[before.len()..before.len() + 64]
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                }
            })
}

fn assert_same_tree(expected: &Path, actual: &Path) {
    let (e, a) = (common::snapshot(expected), common::snapshot(actual));
    let e_paths: Vec<_> = e.keys().collect();
    let a_paths: Vec<_> = a.keys().collect();
    assert_eq!(e_paths, a_paths, "fixed tree has other files than expected");
    for (path, (bytes, _)) in &e {
        let expected_text = String::from_utf8_lossy(bytes);
        let actual_text = String::from_utf8_lossy(&a[path].0);
        assert!(
            same_text(&expected_text, &actual_text),
            "{}: after --fix differs from the expected tree:\n{}",
            path.display(),
            similar::TextDiff::from_lines(&*expected_text, &*actual_text)
                .unified_diff()
                .header("expected", "actual")
        );
    }
}

fn check_fixtures(id: &str) {
    let base = fixture_dir(id);
    assert!(
        base.join("bad").is_dir(),
        "{id}: fixtures/doctor/{id}/bad is missing"
    );

    // Copies, outside this repository: its git index must not count as the fixture's.
    let tmp = tempfile::tempdir().unwrap();
    let (bad_dir, good_dir) = (tmp.path().join("bad"), tmp.path().join("good"));
    copy_dir(&base.join("bad"), &bad_dir);
    copy_dir(&base.join("good"), &good_dir);
    let (code, json, text) = doctor(&bad_dir, id, &[]);
    assert_eq!(code, 1, "{id}: bad/ must have findings:\n{text}");
    let bad = findings(&json);
    assert!(!bad.is_empty());
    let human = authgen()
        .args(["doctor", "--fail-on", "warning", "--check", id])
        .arg(&bad_dir)
        .output()
        .unwrap();
    // The copy's temporary path, as the fixture's.
    let human = String::from_utf8_lossy(&human.stdout).replace(
        &bad_dir.display().to_string(),
        &format!("fixtures/doctor/{id}/bad"),
    );
    insta::with_settings!({snapshot_path => "snapshots/doctor", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!(format!("{id}-bad"), findings(&json));
        insta::assert_snapshot!(format!("{id}-bad-human"), human);
    });

    let (code, json, text) = doctor(&good_dir, id, &[]);
    assert!(
        findings(&json).is_empty(),
        "{id}: false alarm on good/:\n{text}"
    );
    assert_eq!(code, 0);

    let cases: [(&str, &[&str], &[&str]); 2] = [
        ("fixed", &["--fix"], &["safe"]),
        (
            "fixed-unsafe",
            &["--fix", "--unsafe-fixes"],
            &["safe", "unsafe"],
        ),
    ];
    let has = |applicability: &str| {
        bad.iter()
            .any(|f| f["fix"]["applicability"].as_str() == Some(applicability))
    };
    for (dir, flags, applied) in cases {
        // `fixed/` is what `--fix` must write, `fixed-unsafe/` what `--unsafe-fixes` adds;
        // a check whose findings carry no such fix must leave bad/ as it was.
        let expected = match (dir, has("safe"), has("unsafe")) {
            ("fixed", true, _) | ("fixed-unsafe", _, true) => base.join(dir),
            ("fixed-unsafe", true, false) => continue,
            _ => base.join("bad"),
        };
        assert!(
            expected.is_dir(),
            "{id}: bad/ has fixes that {flags:?} applies: expected fixtures/doctor/{id}/{dir}"
        );
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("repo");
        copy_dir(&base.join("bad"), &work);
        let output = authgen()
            .args(["doctor", "--check", id])
            .args(flags)
            .arg(&work)
            .output()
            .unwrap();
        assert!(
            output.status.code().is_some(),
            "{id}: doctor --fix was killed"
        );
        assert_same_tree(&expected, &work);
        // What may be left: findings whose fix these flags do not apply (a fix can also
        // settle a neighbour, e.g. `secure: true` added next to `useSecureCookies: false`).
        // Nothing left may carry a fix these flags apply: one run is enough.
        let key = |f: &serde_json::Value| format!("{} {}", f["file"], f["message"]);
        let may_be_left: Vec<String> = bad
            .iter()
            .filter(|f| !applied.contains(&f["fix"]["applicability"].as_str().unwrap_or("none")))
            .map(key)
            .collect();
        let (code, json, text) = doctor(&work, id, &[]);
        let left = findings(&json);
        for finding in &left {
            assert!(
                may_be_left.contains(&key(finding)),
                "{id}: after {flags:?}, a finding that was not in bad/ or whose fix was applied:\n{text}"
            );
        }
        let output = authgen()
            .args(["doctor", "--check", id])
            .args(flags)
            .arg(&work)
            .output()
            .unwrap();
        assert!(output.status.code().is_some());
        assert_same_tree(&expected, &work);
        assert_eq!(code, i32::from(!left.is_empty()));
    }
}

macro_rules! fixture_tests {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_fixtures($id);
            }
        )*
    };
}

fixture_tests! {
    inet_column => "inet-column",
    env_secrets => "env-secrets",
    env_file_committed => "env-file-committed",
    cookie_flags => "cookie-flags",
    email_service => "email-service",
    route_order => "route-order",
    cors_credentials => "cors-credentials",
    esm_module => "esm-module",
    session_validation => "session-validation",
    deploy_config => "deploy-config",
    jwt_verification => "jwt-verification",
    password_hashing => "password-hashing",
}
