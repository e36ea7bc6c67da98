//! The two test tiers. Plain `cargo test` runs what needs no services; the test targets that
//! Cargo.toml marks `required-features = ["e2e"]` build generated crates and run them against
//! PostgreSQL, Redis, Python and mail sinks, and run with `cargo test --features e2e`
//! (`scripts/test.sh`, CI). This test says how many tests the fast tier left out, so a plain
//! run never looks more complete than it is.

use std::io::Write;
use std::path::Path;

/// (target name, number of `#[test]` functions) of every e2e-tier test target.
fn e2e_targets() -> Vec<(String, usize)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let tests = manifest["test"].as_array().expect("[[test]] entries");
    tests
        .iter()
        .filter(|t| {
            t.get("required-features")
                .and_then(|f| f.as_array())
                .is_some_and(|f| f.iter().any(|f| f.as_str() == Some("e2e")))
        })
        .map(|t| {
            let name = t["name"].as_str().unwrap().to_owned();
            let path = t
                .get("path")
                .and_then(|p| p.as_str())
                .map_or_else(|| format!("tests/{name}.rs"), str::to_owned);
            let text =
                std::fs::read_to_string(root.join(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
            let count = text
                .lines()
                .filter(|l| l.trim_start().starts_with("#[test]"))
                .count();
            (name, count)
        })
        .collect()
}

#[test]
fn e2e_tier_is_declared_and_reported() {
    let targets = e2e_targets();
    for expected in [
        "server",
        "verifiers",
        "email_flows",
        "oauth_flows",
        "take_over",
    ] {
        assert!(
            targets.iter().any(|(name, _)| name == expected),
            "tests/{expected}.rs needs services: it belongs to the e2e tier"
        );
    }
    let total: usize = targets.iter().map(|(_, n)| n).sum();
    assert!(total > 0);
    let names: Vec<String> = targets
        .iter()
        .map(|(name, n)| format!("{name} ({n})"))
        .collect();
    let line = if cfg!(feature = "e2e") {
        format!(
            "\ne2e tier included: {total} tests in {}\n",
            names.join(", ")
        )
    } else {
        format!(
            "\nnote: {total} e2e tests left to the e2e tier ({}): run `bash scripts/test.sh` or `cargo test --features e2e` with DATABASE_URL set\n",
            names.join(", ")
        )
    };
    // Written to stderr directly: the test harness captures print!/eprint! of passing tests.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
