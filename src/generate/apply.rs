//! Stage 4: write the plan. Every file is first written to a temporary file beside its
//! target; only when all of them are staged are they renamed into place. If a rename fails,
//! the files already moved are put back, so the tree is never left half-written.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::{Action, Plan};

#[derive(Debug, Default)]
pub struct Applied {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    /// Removals that failed after the writes succeeded (nothing is lost: the file stays).
    pub warnings: Vec<String>,
}

/// A write that failed; every file written before it was put back.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path}: has no parent directory; nothing was changed")]
    NoParent { path: String },
    /// `step` says what failed (`cannot create DIR`, `cannot write`, ...).
    #[error("{path}: {step}: {source}; nothing was changed")]
    Io {
        path: String,
        step: String,
        #[source]
        source: std::io::Error,
    },
}

struct Staged {
    path: String,
    target: PathBuf,
    temp: NamedTempFile,
    previous: Option<Vec<u8>>,
}

pub fn apply(plan: &Plan) -> Result<Applied, ApplyError> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let staged = match stage(plan, &mut created_dirs) {
        Ok(staged) => staged,
        Err(err) => {
            remove_dirs(&created_dirs);
            return Err(err);
        }
    };
    let mut done: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    let mut applied = Applied::default();
    for Staged {
        path,
        target,
        temp,
        previous,
    } in staged
    {
        if let Err(err) = temp.persist(&target) {
            rollback(&done);
            remove_dirs(&created_dirs);
            return Err(ApplyError::Io {
                path,
                step: "cannot move into place".into(),
                source: err.error,
            });
        }
        done.push((target, previous));
        applied.written.push(path);
    }
    for change in plan.changes.iter().filter(|c| c.action == Action::Remove) {
        match fs::remove_file(&change.target) {
            Ok(()) => {
                applied.removed.push(change.path.clone());
                remove_empty_parents(&plan.root, &change.target);
            }
            Err(err) => applied
                .warnings
                .push(format!("{}: could not remove ({err})", change.path)),
        }
    }
    Ok(applied)
}

fn stage(plan: &Plan, created_dirs: &mut Vec<PathBuf>) -> Result<Vec<Staged>, ApplyError> {
    let mut staged = Vec::new();
    for change in plan.changes.iter().filter(|c| c.writes()) {
        let content = change.new.as_deref().unwrap_or_default();
        let fail = |step: String| {
            let path = change.path.clone();
            move |source| ApplyError::Io { path, step, source }
        };
        let parent = change.target.parent().ok_or_else(|| ApplyError::NoParent {
            path: change.path.clone(),
        })?;
        create_dirs(parent, created_dirs)
            .map_err(fail(format!("cannot create {}", parent.display())))?;
        let previous = fs::read(&change.target).ok();
        let mode = match fs::metadata(&change.target) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(_) if change.executable => 0o755,
            Err(_) => 0o644,
        };
        let mut temp = NamedTempFile::with_prefix_in(".authgen-", parent)
            .map_err(fail(format!("cannot write in {}", parent.display())))?;
        temp.write_all(content.as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .and_then(|()| fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode)))
            .map_err(fail("cannot write".into()))?;
        staged.push(Staged {
            path: change.path.clone(),
            target: change.target.clone(),
            temp,
            previous,
        });
    }
    Ok(staged)
}

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(d) = current {
        if d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        current = d.parent();
    }
    for d in missing.into_iter().rev() {
        fs::create_dir(&d)?;
        created.push(d);
    }
    Ok(())
}

fn rollback(done: &[(PathBuf, Option<Vec<u8>>)]) {
    for (target, previous) in done.iter().rev() {
        let _ = match previous {
            Some(bytes) => write_atomic(target, bytes),
            None => fs::remove_file(target),
        };
    }
}

fn remove_dirs(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(root) && *d != root) {
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Write one file atomically (temp file + rename), keeping the mode of an existing file.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let parent = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let mode = fs::metadata(target)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    let mut temp = NamedTempFile::with_prefix_in(".authgen-", parent)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode))?;
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}
