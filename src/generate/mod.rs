//! Stage 3: render every file in memory, compare with the disk and the manifest, and decide
//! per file: create, update, unchanged, or conflict. Nothing is written here; see `apply`.

mod apply;
mod catalog;
pub mod context;
pub mod dependencies;
pub mod issued;
mod templates;
mod workspace;

use std::path::{Path, PathBuf};

use tera::Tera;

use crate::manifest::{MANIFEST_PATH, Manifest, ManifestEntry, sha256_hex};
pub use apply::{Applied, ApplyError, apply, write_atomic};
pub use catalog::{Catalog, Entry};
pub use templates::Templates;

use crate::configure::{Configured, render_answers};
use crate::discover::Project;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    #[error("template {name}: {}", tera_message(.source))]
    Render {
        name: String,
        #[source]
        source: tera::Error,
    },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
}

/// Tera nests the useful part of its errors; flatten the chain into one line.
pub fn tera_message(err: &tera::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        parts.push(inner.to_string());
        source = inner.source();
    }
    parts.join(": ")
}

/// What produced a planned file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Template(String),
    /// authgen.toml: the recorded answers.
    Answers,
    /// The workspace Cargo.toml, edited to add the auth server as a member.
    Workspace,
    /// The backend's dependency manifest, edited to add what the verifier imports.
    Dependencies,
    Manifest,
}

impl Source {
    pub fn describe(&self) -> &str {
        match self {
            Source::Template(name) => name,
            Source::Answers => "answers",
            Source::Workspace => "workspace member",
            Source::Dependencies => "verifier dependencies",
            Source::Manifest => "manifest",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// The user's file differs from what authgen wrote (or authgen never wrote it).
    Conflict(Conflict),
    /// A conflict that `--force` overwrites.
    Replace(Conflict),
    /// Generated earlier, no longer part of the output, unedited.
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    EditedSinceGenerated,
    NotGeneratedByAuthgen,
    Unreadable(String),
    /// Generated earlier and no longer wanted, but edited since: kept.
    EditedButObsolete,
}

impl Conflict {
    pub fn describe(&self) -> String {
        match self {
            Conflict::EditedSinceGenerated => "edited since authgen wrote it".into(),
            Conflict::NotGeneratedByAuthgen => "exists and was not written by authgen".into(),
            Conflict::Unreadable(why) => format!("cannot be compared ({why})"),
            Conflict::EditedButObsolete => {
                "no longer generated, but edited since authgen wrote it".into()
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    /// Relative to the repository root, `/`-separated (absolute when outside it).
    pub path: String,
    pub target: PathBuf,
    pub source: Source,
    pub action: Action,
    /// What is on disk now, when it is text.
    pub old: Option<String>,
    /// What authgen wants there (absent for removals).
    pub new: Option<String>,
    pub executable: bool,
}

impl Change {
    pub fn writes(&self) -> bool {
        matches!(
            self.action,
            Action::Create | Action::Update | Action::Replace(_)
        )
    }
}

#[derive(Debug)]
pub struct Plan {
    pub root: PathBuf,
    /// The context every template was rendered with (ADRs render with it too).
    pub context: tera::Context,
    pub changes: Vec<Change>,
    pub overridden: Vec<String>,
    pub added_templates: Vec<String>,
    pub override_dir: Option<PathBuf>,
}

impl Plan {
    pub fn is_noop(&self) -> bool {
        self.changes
            .iter()
            .all(|c| matches!(c.action, Action::Unchanged | Action::Conflict(_)))
    }

    pub fn conflicts(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| matches!(c.action, Action::Conflict(_)))
    }
}

pub struct PlanInput<'a> {
    pub project: &'a Project,
    pub configured: &'a Configured,
    pub templates: &'a Templates,
    /// Where authgen.toml lives and its current text.
    pub answers_path: &'a Path,
    pub answers_text: Option<&'a str>,
    pub force: bool,
}

/// Render everything and classify each file against the disk and the manifest.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, GenerateError> {
    let root = &input.project.root;
    let config = &input.configured.config;
    let catalog = Catalog::load(input.templates)?;
    let ctx = context::build(input.project, config, input.templates)?;

    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_templates(input.templates.tera_sources())
        .map_err(|source| GenerateError::Render {
            name: "templates".into(),
            source,
        })?;

    let old_manifest = Manifest::read(root)?;
    let mut new_manifest = Manifest {
        auth_dir: Some(config.auth_dir.clone()),
        server: Some(issued::server_facts(&input.project.name, config)),
        files: Vec::new(),
    };
    let mut changes: Vec<Change> = Vec::new();

    for entry in &catalog.entries {
        if !context::condition(entry.when.as_deref(), &ctx, &entry.template)? {
            continue;
        }
        let path = context::render_str(&entry.output, &ctx, &entry.template)?;
        let path = checked_output_path(&path, &entry.template)?;
        if changes.iter().any(|c| c.path == path) {
            return Err(GenerateError::Template {
                name: entry.template.clone(),
                message: format!("renders to {path}, which another template already writes"),
            });
        }
        let content =
            tera.render(&entry.template, &ctx)
                .map_err(|source| GenerateError::Render {
                    name: entry.template.clone(),
                    source,
                })?;
        let change = classify(
            root,
            &path,
            Source::Template(entry.template.clone()),
            content,
            &old_manifest,
            input.force,
            entry.executable,
        );
        let recorded_hash = match &change.action {
            Action::Conflict(_) => old_manifest.entry(&path).map(|e| e.sha256.clone()),
            _ => change.new.as_deref().map(|n| sha256_hex(n.as_bytes())),
        };
        if let Some(sha256) = recorded_hash {
            new_manifest.files.push(ManifestEntry {
                path: path.clone(),
                template: entry.template.clone(),
                sha256,
            });
        }
        changes.push(change);
    }

    for old in &old_manifest.files {
        if changes.iter().any(|c| c.path == old.path) {
            continue;
        }
        let target = root.join(&old.path);
        match std::fs::read(&target) {
            Ok(bytes) if sha256_hex(&bytes) == old.sha256 => changes.push(Change {
                path: old.path.clone(),
                target,
                source: Source::Template(old.template.clone()),
                action: Action::Remove,
                old: String::from_utf8(bytes).ok(),
                new: None,
                executable: false,
            }),
            Ok(bytes) => changes.push(Change {
                path: old.path.clone(),
                target,
                source: Source::Template(old.template.clone()),
                action: Action::Conflict(Conflict::EditedButObsolete),
                old: String::from_utf8(bytes).ok(),
                new: None,
                executable: false,
            }),
            Err(_) => {} // already gone
        }
    }

    if let Some(change) = workspace::member_change(input.project, config, &changes)? {
        changes.push(change);
    }
    let backend = context::chosen_backend(input.project, config);
    if let Some(change) = dependencies::manifest_change(input.project, config, backend)? {
        changes.push(change);
    }

    let answers = render_answers(input.answers_text, config);
    let answers_rel = input
        .answers_path
        .strip_prefix(root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| input.answers_path.display().to_string());
    changes.push(Change {
        action: match input.answers_text {
            None => Action::Create,
            Some(text) if text == answers => Action::Unchanged,
            Some(_) => Action::Update,
        },
        path: answers_rel,
        target: input.answers_path.to_path_buf(),
        source: Source::Answers,
        old: input.answers_text.map(str::to_owned),
        new: Some(answers),
        executable: false,
    });

    let manifest_text = new_manifest.render();
    let manifest_target = root.join(MANIFEST_PATH);
    let current = std::fs::read_to_string(&manifest_target).ok();
    changes.push(Change {
        action: match &current {
            None => Action::Create,
            Some(text) if *text == manifest_text => Action::Unchanged,
            Some(_) => Action::Update,
        },
        path: MANIFEST_PATH.to_owned(),
        target: manifest_target,
        source: Source::Manifest,
        old: current,
        new: Some(manifest_text),
        executable: false,
    });

    Ok(Plan {
        root: root.clone(),
        context: ctx,
        changes,
        overridden: input.templates.overridden.clone(),
        added_templates: input.templates.added.clone(),
        override_dir: input.templates.override_dir.clone(),
    })
}

/// Decide what to do with one rendered file.
fn classify(
    root: &Path,
    path: &str,
    source: Source,
    content: String,
    manifest: &Manifest,
    force: bool,
    executable: bool,
) -> Change {
    let target = root.join(path);
    let conflict = |c: Conflict| {
        if force {
            Action::Replace(c)
        } else {
            Action::Conflict(c)
        }
    };
    let (action, old) = if let Some(link) = symlink_on_path(root, path) {
        // Never write through a symlink: it could point anywhere, even outside the repo.
        (
            Action::Conflict(Conflict::Unreadable(format!("{link} is a symlink"))),
            None,
        )
    } else {
        match std::fs::symlink_metadata(&target) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => (Action::Create, None),
            Err(err) => (conflict(Conflict::Unreadable(err.to_string())), None),
            Ok(meta) if !meta.is_file() => (
                Action::Conflict(Conflict::Unreadable("not a regular file".into())),
                None,
            ),
            Ok(_) => match std::fs::read(&target) {
                Err(err) => (conflict(Conflict::Unreadable(err.to_string())), None),
                Ok(bytes) => {
                    let on_disk = sha256_hex(&bytes);
                    let old = String::from_utf8(bytes).ok();
                    let action = if old.as_deref() == Some(content.as_str()) {
                        Action::Unchanged
                    } else {
                        match manifest.entry(path) {
                            Some(entry) if entry.sha256 == on_disk => Action::Update,
                            Some(_) => conflict(Conflict::EditedSinceGenerated),
                            None => conflict(Conflict::NotGeneratedByAuthgen),
                        }
                    };
                    (action, old)
                }
            },
        }
    };
    Change {
        path: path.to_owned(),
        target,
        source,
        action,
        old,
        new: Some(content),
        executable,
    }
}

/// The first existing component of `rel` (below `root`) that is a symlink.
fn symlink_on_path(root: &Path, rel: &str) -> Option<String> {
    let mut current = root.to_path_buf();
    let mut shown = Vec::new();
    for part in rel.split('/') {
        current.push(part);
        shown.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => return Some(shown.join("/")),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

fn checked_output_path(path: &str, template: &str) -> Result<String, GenerateError> {
    let path = path.trim().trim_start_matches("./").to_owned();
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..");
    if bad {
        return Err(GenerateError::Template {
            name: template.into(),
            message: format!(
                "output path '{path}' must be relative and stay inside the repository"
            ),
        });
    }
    Ok(path)
}
