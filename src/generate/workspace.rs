//! Adding the auth server to the repository's Cargo workspace, with toml_edit so the
//! manifest keeps its comments and layout.

use toml_edit::{Array, DocumentMut, Item, Value};

use super::{Action, Change, GenerateError, Source};
use crate::configure::AuthConfig;
use crate::discover::Project;

/// The edit to the workspace's Cargo.toml, when the plan writes a crate in `auth_dir` that the
/// workspace's `members` do not cover yet.
pub fn member_change(
    project: &Project,
    config: &AuthConfig,
    changes: &[Change],
) -> Result<Option<Change>, GenerateError> {
    let Some(workspace) = &project.workspace else {
        return Ok(None);
    };
    let crate_manifest = format!("{}/Cargo.toml", config.auth_dir);
    let writes_crate = changes
        .iter()
        .any(|c| c.path == crate_manifest && c.action != Action::Remove);
    if !writes_crate || covers(&workspace.members, &config.auth_dir) {
        return Ok(None);
    }
    let target = project.root.join(&workspace.manifest);
    let old = std::fs::read_to_string(&target).map_err(|source| GenerateError::File {
        path: workspace.manifest.clone(),
        source,
    })?;
    let new = add_member(&old, &config.auth_dir).map_err(|message| GenerateError::Io {
        path: workspace.manifest.clone(),
        message,
    })?;
    Ok(Some(Change {
        path: workspace.manifest.clone(),
        target,
        source: Source::Workspace,
        action: Action::Update,
        old: Some(old),
        new: Some(new),
        executable: false,
    }))
}

fn covers(members: &[String], dir: &str) -> bool {
    members.iter().any(|m| {
        globset::Glob::new(m.trim_end_matches('/'))
            .map(|g| g.compile_matcher().is_match(dir))
            .unwrap_or(false)
    })
}

/// `members = [...]` with `dir` appended, formatting preserved.
pub fn add_member(text: &str, dir: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let workspace = doc
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .ok_or("has no [workspace] table")?;
    match workspace.get_mut("members") {
        Some(Item::Value(Value::Array(members))) => {
            push_keeping_layout(members, dir);
        }
        Some(_) => return Err("[workspace] members is not an array".into()),
        None => {
            let mut members = Array::new();
            members.push(dir);
            workspace.insert("members", Item::Value(Value::Array(members)));
        }
    }
    Ok(doc.to_string())
}

/// Append `value` to `array`, one per line when the existing entries are laid out that way.
pub(crate) fn push_keeping_layout(array: &mut Array, value: &str) {
    let multiline = array.iter().any(|v| {
        v.decor()
            .prefix()
            .is_some_and(|p| p.as_str().is_some_and(|s| s.contains('\n')))
    });
    array.push(value);
    if !multiline {
        return;
    }
    let indent = array
        .iter()
        .next()
        .and_then(|v| {
            v.decor()
                .prefix()
                .and_then(|p| p.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "\n    ".to_owned());
    let indent = indent
        .rsplit('\n')
        .next()
        .map(|s| format!("\n{s}"))
        .unwrap_or(indent);
    if let Some(last) = array.iter_mut().last() {
        last.decor_mut().set_prefix(indent);
    }
    array.set_trailing_comma(true);
    if !array.trailing().as_str().is_some_and(|t| t.contains('\n')) {
        array.set_trailing("\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_to_a_multiline_members_list_keeping_comments() {
        let text = "[workspace]\nresolver = \"2\"\nmembers = [\n    # the API\n    \"crates/api\",\n    \"crates/core\",\n]\n";
        let new = add_member(text, "auth-server").unwrap();
        assert!(
            new.contains(
                "    # the API\n    \"crates/api\",\n    \"crates/core\",\n    \"auth-server\",\n]"
            ),
            "{new}"
        );
    }

    #[test]
    fn appends_to_an_inline_list() {
        let new = add_member("[workspace]\nmembers = [\"a\", \"b\"]\n", "auth-server").unwrap();
        assert_eq!(
            new,
            "[workspace]\nmembers = [\"a\", \"b\", \"auth-server\"]\n"
        );
    }

    #[test]
    fn globs_cover_members() {
        assert!(covers(&["services/*".into()], "services/auth"));
        assert!(!covers(&["crates/*".into()], "auth-server"));
    }
}
