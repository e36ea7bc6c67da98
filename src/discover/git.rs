//! Git context via libgit2: branch, remote (credentials stripped) and dirty state.

use std::path::Path;

use git2::{Repository, StatusOptions};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct GitInfo {
    /// `None` on a detached HEAD or an unborn branch without a name.
    pub branch: Option<String>,
    pub remote: Option<String>,
    pub dirty: bool,
}

pub fn read(root: &Path) -> Option<GitInfo> {
    let repo = Repository::discover(root).ok()?;
    let branch = match repo.head() {
        Ok(head) if head.is_branch() => head.shorthand().map(str::to_owned),
        Ok(_) => None,
        // An unborn branch: HEAD names it but no commit exists yet.
        Err(_) => repo.find_reference("HEAD").ok().and_then(|r| {
            r.symbolic_target()
                .map(|t| t.trim_start_matches("refs/heads/").to_owned())
        }),
    };
    let remote = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().map(strip_credentials));
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false);
    let dirty = repo
        .statuses(Some(&mut options))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    Some(GitInfo {
        branch,
        remote,
        dirty,
    })
}

/// `https://user:token@host/x.git` → `https://host/x.git`; scp-like URLs are kept.
fn strip_credentials(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::strip_credentials;

    #[test]
    fn credentials_are_removed_from_remotes() {
        assert_eq!(
            strip_credentials("https://bot:ghp_x@github.com/acme/app.git"),
            "https://github.com/acme/app.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:acme/app.git"),
            "git@github.com:acme/app.git"
        );
    }
}
