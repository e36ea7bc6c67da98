//! What a check reports: a finding at a byte span of one file, with an optional fix.

use std::ops::Range;

use serde::Serialize;

use super::workspace::SourceFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn parse(text: &str) -> Severity {
        if text.eq_ignore_ascii_case("error") {
            Severity::Error
        } else {
            Severity::Warning
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// How safe it is to apply a fix without a person looking at it (ruff's terms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Keeps the program's meaning apart from the bug: applied by `--fix`.
    Safe,
    /// Changes behaviour a person should review: applied by `--fix --unsafe-fixes`.
    Unsafe,
    /// Shown in `--diff` and reports, never applied.
    DisplayOnly,
}

/// A piece of what an edit writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    Text(String),
    /// A secret generated when the fix is written, one per run (so every file a run fixes
    /// gets the same value); reports, diffs and CI logs show [`crate::secret::FRESH_MARKER`].
    FreshSecret,
}

/// What an edit writes: text, and possibly secrets generated only when it is written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content(pub Vec<Fragment>);

impl Content {
    /// `before`, a fresh secret, then `after`.
    pub fn fresh_secret(before: impl Into<String>, after: impl Into<String>) -> Content {
        let mut parts = Vec::new();
        for (text, secret) in [(before.into(), true), (after.into(), false)] {
            if !text.is_empty() {
                parts.push(Fragment::Text(text));
            }
            if secret {
                parts.push(Fragment::FreshSecret);
            }
        }
        Content(parts)
    }

    /// The content with `secret` where a fresh secret goes.
    pub fn resolve(&self, secret: &str) -> String {
        self.0
            .iter()
            .map(|part| match part {
                Fragment::Text(text) => text.as_str(),
                Fragment::FreshSecret => secret,
            })
            .collect()
    }

    /// As reports and diffs show it: fresh secrets as their marker.
    pub fn display(&self) -> String {
        self.resolve(crate::secret::FRESH_MARKER)
    }

    pub fn has_fresh_secret(&self) -> bool {
        self.0.contains(&Fragment::FreshSecret)
    }
}

impl From<String> for Content {
    fn from(text: String) -> Content {
        Content(vec![Fragment::Text(text)])
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Content {
        Content::from(text.to_owned())
    }
}

/// Replace `start..end` of `file` (bytes) with `content`. A file that does not exist yet is
/// created by an edit at `0..0` ([`Edit::create`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub content: Content,
}

/// Reports show an edit's content as text (`text`), fresh secrets as their marker.
impl Serialize for Edit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut edit = serializer.serialize_struct("Edit", 4)?;
        edit.serialize_field("file", &self.file)?;
        edit.serialize_field("start", &self.start)?;
        edit.serialize_field("end", &self.end)?;
        edit.serialize_field("text", &self.text())?;
        edit.end()
    }
}

impl Edit {
    pub fn replace(file: &SourceFile, range: Range<usize>, content: impl Into<Content>) -> Edit {
        Edit {
            file: file.rel.clone(),
            start: range.start,
            end: range.end,
            content: content.into(),
        }
    }

    pub fn insert(file: &SourceFile, at: usize, content: impl Into<Content>) -> Edit {
        Edit::replace(file, at..at, content)
    }

    pub fn delete(file: &SourceFile, range: Range<usize>) -> Edit {
        Edit::replace(file, range, "")
    }

    /// Create `rel`, which does not exist yet, holding `content`.
    pub fn create(rel: impl Into<String>, content: impl Into<Content>) -> Edit {
        Edit {
            file: rel.into(),
            start: 0,
            end: 0,
            content: content.into(),
        }
    }

    /// The content as reports and diffs show it.
    pub fn text(&self) -> String {
        self.content.display()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// One line: what applying it does.
    pub description: String,
    /// Sorted by (file, start), never overlapping.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(
        applicability: Applicability,
        description: impl Into<String>,
        mut edits: Vec<Edit>,
    ) -> Fix {
        edits.sort_by(|a, b| (&a.file, a.start, a.end).cmp(&(&b.file, b.start, b.end)));
        Fix {
            applicability,
            description: description.into(),
            edits,
        }
    }

    pub fn safe(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, description, edits)
    }

    pub fn unsafe_(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, description, edits)
    }

    pub fn display_only(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::DisplayOnly, description, edits)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based.
    pub line: usize,
    /// 1-based, in Unicode scalar values.
    pub column: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub start: Position,
    pub end: Position,
    /// Byte span in `file`.
    pub span: [usize; 2],
    pub help: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Set when the check chose the severity; otherwise the catalog's default applies.
    #[serde(skip)]
    pub(crate) severity_set: bool,
}

impl Finding {
    /// A finding of `check` at `range` of `file`; severity is the check's default until
    /// [`Finding::severity`] says otherwise.
    pub fn new(
        check: &'static str,
        file: &SourceFile,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            check,
            severity: Severity::Error,
            message: message.into(),
            file: file.rel.clone(),
            start: file.position(range.start),
            end: file.position(range.end),
            span: [range.start, range.end],
            help: String::new(),
            fix: None,
            severity_set: false,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }

    pub fn fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }

    pub fn maybe_fix(mut self, fix: Option<Fix>) -> Finding {
        self.fix = fix;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self.severity_set = true;
        self
    }
}
