//! The Better Auth compatibility harness's Node side, for the tests that run a real Better
//! Auth server (tests/better_auth_compat/reference/server.mjs).

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

pub fn harness_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/better_auth_compat")
}

/// `npm ci` in the harness, unless node_modules was installed from this very lockfile.
pub fn install_npm_packages() {
    let dir = harness_dir();
    let lock = std::fs::read(dir.join("package-lock.json")).expect("package-lock.json");
    let digest: String = Sha256::digest(&lock)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stamp = dir.join("node_modules/.authgen-lock-sha256");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == digest) {
        return;
    }
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .output()
        .expect("npm is installed");
    assert!(
        output.status.success(),
        "npm ci in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&stamp, digest).unwrap();
}

/// `node` with a clean environment: Better Auth changes behaviour under NODE_ENV and TEST.
pub fn node(args: &[&str]) -> Command {
    let mut command = Command::new("node");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .current_dir(harness_dir());
    command
}
