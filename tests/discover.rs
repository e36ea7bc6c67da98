//! Discovery survives bad input: every problem is a warning, never a crash or a hang.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use authgen::discover::{BackendFramework, DatabaseProvider, MigrationKind, discover};
use common::*;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A small FastAPI repo, then every kind of hostile file next to it.
fn hostile_repo(root: &Path) {
    write(
        &root.join("backend/requirements.txt"),
        b"fastapi==0.115.0\n",
    );
    write(&root.join("backend/app/__init__.py"), b"");
    write(
        &root.join("backend/app/main.py"),
        b"from fastapi import FastAPI\napp = FastAPI()\n",
    );
    // Not UTF-8: a Latin-1 module and a binary requirements file.
    write(&root.join("backend/app/legacy.py"), b"# caf\xe9\nx = 1\n");
    write(
        &root.join("tools/requirements.txt"),
        b"\xff\xfe\x00f\x00a\x00s\x00t\x00a\x00p\x00i\x00",
    );
    // A symlink loop, a self-link and a dangling link.
    std::fs::create_dir_all(root.join("loop")).unwrap();
    std::os::unix::fs::symlink("../loop", root.join("loop/again")).unwrap();
    std::os::unix::fs::symlink("self", root.join("self")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/pyproject.toml", root.join("pyproject.toml")).unwrap();
    // A FIFO named like a manifest: reading it would block forever.
    let fifo = root.join("web/package.json");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    // An .env that is a directory, and a broken package.json.
    std::fs::create_dir_all(root.join(".env")).unwrap();
    write(
        &root.join("site/package.json"),
        b"{ \"dependencies\": { \"next\": ",
    );
    // An unreadable directory (effective only when not running as root; see below).
    write(
        &root.join("secret/pyproject.toml"),
        b"[project]\ndependencies=['fastapi']\n",
    );
    std::fs::set_permissions(root.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
}

#[test]
fn hostile_files_become_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    hostile_repo(&root);
    let project = discover(&root).unwrap();
    std::fs::set_permissions(root.join("secret"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let backend = project
        .backends
        .iter()
        .find(|b| b.dir == "backend")
        .expect("the real backend is found");
    assert_eq!(backend.kind, BackendFramework::Fastapi);
    assert_eq!(backend.entry.as_deref(), Some("backend/app/main.py"));
    let warnings = project.warnings.join("\n");
    assert!(
        warnings.contains("tools/requirements.txt: not UTF-8"),
        "{warnings}"
    );
    // The FIFO is never opened (it is not a regular file), so discovery did not block on it.
    assert!(!warnings.contains("web/package.json"), "{warnings}");
    assert!(
        warnings.contains("site/package.json: invalid JSON"),
        "{warnings}"
    );
    assert!(
        warnings.contains("pyproject.toml: dangling symlink"),
        "{warnings}"
    );
    assert_eq!(project.database.provider, DatabaseProvider::None);
}

/// As root, permission bits do not stop reads; run the binary as `nobody` to see a real
/// EACCES. Skips only that part when setpriv is missing.
#[test]
fn unreadable_directory_is_reported_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = tmp.path().join("repo");
    hostile_repo(&root);
    let is_root = unsafe_geteuid() == 0;
    let mut cmd = if is_root {
        let bin = assert_cmd::cargo::cargo_bin("authgen");
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin);
        c
    } else {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("authgen"))
    };
    // nobody must be able to traverse to the binary and the repo.
    let output = cmd
        .args(["init", "--yes", "--dry-run"])
        .arg(&root)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    std::fs::set_permissions(root.join("secret"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if is_root && stderr.contains("Permission denied") && !stdout.contains("Discovered") {
        // The binary itself is not reachable for nobody (e.g. a 0700 home): the library test
        // above still covers the other hostile files.
        eprintln!("skipping the unprivileged run: {stderr}");
        return;
    }
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("secret: permission denied, skipped"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fastapi") || stdout.contains("FastAPI"),
        "{stdout}"
    );
}

fn unsafe_geteuid() -> u32 {
    // std has no geteuid; `id -u` is always there on Debian.
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn node_modules_with_fifty_thousand_files_is_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        &root.join("frontend/package.json"),
        br#"{"dependencies":{"next":"15.0.0"},"scripts":{"dev":"next dev -p 3100"}}"#,
    );
    for i in 0..50_000 {
        write(
            &root.join(format!("frontend/node_modules/p{}/f{i}.js", i / 100)),
            b"module.exports = 1\n",
        );
    }
    // A package.json deep inside node_modules that mentions next must not count.
    write(
        &root.join("frontend/node_modules/p0/package.json"),
        br#"{"dependencies":{"next":"1"}}"#,
    );
    let project = discover(root).unwrap();
    let frontend = project.frontend.expect("the frontend is found");
    assert_eq!(frontend.dir, "frontend");
    assert_eq!(frontend.origin, "http://localhost:3100");
    assert!(project.warnings.is_empty(), "{:?}", project.warnings);
}

#[test]
fn missing_path_is_a_clear_error() {
    let run = run(
        &["init", "--yes", "--dry-run"],
        Path::new("/nonexistent/repo"),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/nonexistent/repo"), "{}", run.stderr);
}

#[test]
fn migrations_and_providers_in_a_hand_built_repo() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        &root.join("api/pyproject.toml"),
        b"[project]\nname='x'\ndependencies=['fastapi>=0.1']\n",
    );
    write(
        &root.join("api/main.py"),
        b"import fastapi\napplication = fastapi.FastAPI()\n",
    );
    write(
        &root.join("api/db/migrations/001_init.sql"),
        b"create table t (id int);\n",
    );
    write(&root.join("api/.env"), b"DATABASE_URL=postgresql://u:fixture-not-a-password@db.abcdefgh.supabase.co:5432/postgres\n");
    let project = discover(root).unwrap();
    let backend = &project.backends[0];
    assert_eq!(backend.app_var.as_deref(), Some("application"));
    assert_eq!(backend.package, None, "a flat layout has no package");
    assert_eq!(backend.manifest, "api/pyproject.toml");
    assert_eq!(backend.migrations.kind, MigrationKind::Sql);
    assert_eq!(backend.migrations.dir.as_deref(), Some("api/db/migrations"));
    assert_eq!(project.database.provider, DatabaseProvider::Supabase);
    assert_eq!(project.database.env_file.as_deref(), Some("api/.env"));
}
