//! Shared helpers: fixture copies, whole-tree snapshots, running the binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

pub mod better_auth;
pub mod e2e;
pub mod fake_provider;
pub mod mail;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/projects")
        .join(name)
}

pub const PROJECT_FIXTURES: &[&str] = &[
    "fastapi-alembic",
    "monorepo",
    "axum-workspace",
    "speckit",
    "empty",
];

/// A fresh copy of a fixture in a temporary directory; returns (guard, repo path).
pub fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join(name);
    copy_dir(&fixture(name), &dest);
    (tmp, dest)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file (path → bytes and mode) and symlink under `root`: equal snapshots mean a
/// byte-identical tree.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, u32)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.insert(rel.join(""), (Vec::new(), meta.permissions().mode()));
            walk(root, &path, out);
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            out.insert(
                rel,
                (target.to_string_lossy().as_bytes().to_vec(), 0o120000),
            );
        } else if meta.is_file() {
            out.insert(
                rel,
                (
                    std::fs::read(&path).unwrap_or_default(),
                    meta.permissions().mode(),
                ),
            );
        }
    }
}

/// The binary, with a clean environment: no AUTHGEN_* answers, no colour, no stdin.
pub fn authgen() -> Command {
    let mut cmd = Command::cargo_bin("authgen").unwrap();
    for (key, _) in std::env::vars() {
        if key.starts_with("AUTHGEN_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(60));
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], repo: &Path) -> Run {
    let output = authgen().args(args).arg(repo).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
