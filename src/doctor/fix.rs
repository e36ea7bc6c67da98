//! Applying fixes: edits grouped per file, overlapping fixes dropped (a second run picks them
//! up), every changed file re-parsed before anything is written, atomic writes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::finding::{Applicability, Content, Edit, Finding, Fragment};
use super::workspace::SourceFile;

/// The new content of one file.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub file: String,
    /// `None` when the fix creates the file.
    pub old: Option<String>,
    /// The new text as reports and diffs show it.
    pub new: String,
    /// What is written: `new`, with any fresh secret generated at write time.
    pub content: Content,
    /// How many findings' fixes this change carries.
    pub fixes: usize,
}

/// What applying fixes did (or, with `--diff`, would do).
#[derive(Debug, Default)]
pub struct FixPlan {
    pub changes: Vec<FileChange>,
    /// Fixes not applied, with the reason (overlap with another fix, breaks parsing, ...).
    pub skipped: Vec<String>,
}

/// Which fixes `--fix` / `--unsafe-fixes` apply.
pub fn wanted(applicability: Applicability, unsafe_fixes: bool) -> bool {
    match applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => unsafe_fixes,
        Applicability::DisplayOnly => false,
    }
}

/// Plan the fixes of `findings` that `unsafe_fixes` allows.
pub fn plan<'a>(
    root: &Path,
    findings: impl IntoIterator<Item = &'a Finding>,
    unsafe_fixes: bool,
) -> FixPlan {
    let mut plan = FixPlan::default();
    // file -> accepted edits; a fix is accepted whole or not at all.
    let mut per_file: BTreeMap<String, Vec<Edit>> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for finding in findings {
        let Some(fix) = &finding.fix else { continue };
        if !wanted(fix.applicability, unsafe_fixes) {
            continue;
        }
        // An edit identical to one already accepted (two findings, one shared fix such as a
        // .gitignore rule) is satisfied by it, not a conflict.
        let already = |edit: &Edit| {
            per_file
                .get(&edit.file)
                .is_some_and(|edits| edits.contains(edit))
        };
        let overlaps = fix.edits.iter().filter(|edit| !already(edit)).any(|edit| {
            per_file.get(&edit.file).is_some_and(|edits| {
                edits.iter().any(|e| {
                    // Insertions at one place (two lines appended to one .env.example) both
                    // go in, in fix order; anything else that touches it overlaps.
                    let both_insert = e.start == e.end && edit.start == edit.end;
                    e.start < edit.end && edit.start < e.end
                        || e.start == edit.start && !both_insert
                })
            })
        });
        if overlaps {
            plan.skipped.push(format!(
                "{}:{}: {} — overlaps another fix; run `authgen doctor --fix` again",
                finding.file, finding.start.line, finding.check
            ));
            continue;
        }
        for edit in fix
            .edits
            .iter()
            .filter(|edit| !already(edit))
            .cloned()
            .collect::<Vec<_>>()
        {
            per_file
                .entry(edit.file.clone())
                .or_default()
                .push(edit.clone());
            *counts.entry(edit.file.clone()).or_default() += 1;
        }
    }
    for (file, mut edits) in per_file {
        let old = match std::fs::read(root.join(&file)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(_) => {
                    plan.skipped.push(format!("{file}: not UTF-8, not changed"));
                    continue;
                }
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => {
                plan.skipped.push(format!("{file}: {err}, not changed"));
                continue;
            }
        };
        let base = old.clone().unwrap_or_default();
        // Equal starts keep fix order.
        edits.sort_by_key(|e| (e.start, e.end));
        let Some(content) = splice(&base, &edits) else {
            plan.skipped
                .push(format!("{file}: changed since it was checked, not changed"));
            continue;
        };
        let new = content.display();
        let parsed_before = SourceFile::new(file.clone(), base).parses();
        if parsed_before && !SourceFile::new(file.clone(), new.clone()).parses() {
            plan.skipped.push(format!(
                "{file}: the fixes would leave it unparseable, not changed"
            ));
            continue;
        }
        plan.changes.push(FileChange {
            fixes: counts.get(&file).copied().unwrap_or_default(),
            file,
            old,
            new,
            content,
        });
    }
    plan
}

/// `base` with `edits` (sorted, not overlapping) applied; `None` when an edit does not fit
/// the text (out of range, inside a character, overlapping the one before).
fn splice(base: &str, edits: &[Edit]) -> Option<Content> {
    let mut parts = Vec::new();
    let mut at = 0;
    for edit in edits {
        if edit.start < at
            || edit.end < edit.start
            || edit.end > base.len()
            || !base.is_char_boundary(edit.start)
            || !base.is_char_boundary(edit.end)
        {
            return None;
        }
        parts.push(Fragment::Text(base[at..edit.start].to_owned()));
        parts.extend(edit.content.0.iter().cloned());
        at = edit.end;
    }
    parts.push(Fragment::Text(base[at..].to_owned()));
    parts.retain(|part| !matches!(part, Fragment::Text(text) if text.is_empty()));
    Some(Content(parts))
}

/// Write every change atomically (temp file in the same directory, then rename), keeping the
/// file's permissions. A fresh secret is generated once per run: every file that gets one
/// gets the same value.
pub fn write(root: &Path, plan: &FixPlan) -> std::io::Result<()> {
    let fresh = plan
        .changes
        .iter()
        .any(|c| c.content.has_fresh_secret())
        .then(crate::secret::generate)
        .unwrap_or_default();
    for change in &plan.changes {
        let content = change.content.resolve(&fresh);
        let path = root.join(&change.file);
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(content.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::set_permissions(tmp.path(), meta.permissions())?;
        }
        tmp.persist(&path).map_err(|e| e.error)?;
    }
    Ok(())
}
