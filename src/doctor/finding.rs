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

/// Replace `start..end` of `file` (bytes) with `text`. A file that does not exist yet is
/// created by an edit at `0..0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Edit {
    pub fn replace(file: &SourceFile, range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            file: file.rel.clone(),
            start: range.start,
            end: range.end,
            text: text.into(),
        }
    }

    pub fn insert(file: &SourceFile, at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(file, at..at, text)
    }

    pub fn delete(file: &SourceFile, range: Range<usize>) -> Edit {
        Edit::replace(file, range, "")
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
