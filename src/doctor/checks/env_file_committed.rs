//! `env-file-committed`: `.env*` files tracked by git (read from the index with git2) that
//! hold secret-looking values, and `.env*` files in the working tree that no `.gitignore`
//! rule covers. Templates (`.env.example`, `.env.sample`, ...) are meant to be committed.

use std::collections::BTreeSet;

use crate::doctor::finding::{Edit, Finding, Fix};
use crate::doctor::workspace::{SourceFile, Workspace, is_env_file_name, is_env_template};

use super::Check;

pub struct EnvFileCommitted;

const ID: &str = "env-file-committed";

/// Appended to the root .gitignore by the fix.
const RULES: &str = "# env files hold secrets (added by `authgen doctor --fix`)\n.env\n.env.*\n*.env\n!.env.example\n!.env.sample\n!.env.template\n";

impl Check for EnvFileCommitted {
    fn id(&self) -> &'static str {
        ID
    }

    fn check(&self, ws: &Workspace, out: &mut Vec<Finding>) {
        check(ws, out);
        // Agent, template, docs, spec and test folders hold dummy values, not the app's.
        out.retain(|f| !crate::doctor::lang::is_outside_app(&f.file));
    }
}

fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let tracked = tracked_env_files(ws);
    for rel in &tracked {
        let Some(file) = ws.source(rel) else { continue };
        let Some(entry) = file
            .env()
            .iter()
            .find(|e| is_secret_looking(&e.key, &e.value))
        else {
            continue;
        };
        out.push(
            Finding::new(ID, &file, entry.key_span.clone(), format!("{rel} is tracked by git and holds {}: every clone, fork and CI cache has it, and history keeps it", entry.key))
                .help(format!("back it up, `git rm --cached {rel}`, commit, add it to .gitignore, and rotate every credential in it"))
                .fix(Fix::display_only(
                    format!("untrack it: `git rm --cached {rel}` (teammates' copies are deleted on pull: back them up) and rotate its secrets"),
                    Vec::new(),
                )),
        );
    }
    let gitignore = ws.source(".gitignore");
    for rel in ws.files() {
        let name = crate::discover::file_name(rel);
        if !is_env_file_name(name) || is_env_template(name) || tracked.contains(rel) {
            continue;
        }
        let Some(file) = ws.source(rel) else { continue };
        let span = first_line(&file);
        out.push(
            Finding::new(ID, &file, span, format!("{rel} is not covered by any .gitignore rule: one `git add .` commits its values"))
                .help("add `.env` and `.env.*` (keeping `!.env.example`) to .gitignore")
                .fix(Fix::safe("add env-file rules to .gitignore", vec![ignore_edit(gitignore.as_deref())])),
        );
    }
}

fn first_line(file: &SourceFile) -> std::ops::Range<usize> {
    if file.text.is_empty() {
        0..0
    } else {
        file.line_range(1)
    }
}

fn ignore_edit(gitignore: Option<&SourceFile>) -> Edit {
    match gitignore {
        Some(file) => {
            let sep = match file.text.as_str() {
                "" => "",
                t if t.ends_with("\n\n") => "",
                t if t.ends_with('\n') => "\n",
                _ => "\n\n",
            };
            Edit::insert(file, file.text.len(), format!("{sep}{RULES}"))
        }
        None => Edit::create(".gitignore", RULES),
    }
}

/// A value worth protecting: a credential's name with a value, or a database URL with a
/// password.
fn is_secret_looking(key: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    if crate::secret::is_credential_name(key) {
        return true;
    }
    key.ends_with("_URL")
        && url::Url::parse(value).is_ok_and(|u| u.password().is_some_and(|p| !p.is_empty()))
}

/// Env files (not templates) in the git index, relative to the checked directory.
fn tracked_env_files(ws: &Workspace) -> BTreeSet<String> {
    ws.tracked_files()
        .iter()
        .filter(|rel| {
            let name = crate::discover::file_name(rel);
            is_env_file_name(name) && !is_env_template(name) && ws.has_file(rel)
        })
        .cloned()
        .collect()
}
