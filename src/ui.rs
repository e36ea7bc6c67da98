//! How output looks: doctor-style status lines, styles that anstream strips when the output
//! is not a terminal or NO_COLOR is set.

use anstyle::{AnsiColor, Style};

pub const OK: Style = AnsiColor::Green.on_default();
pub const WARN: Style = AnsiColor::Yellow.on_default();
pub const ERR: Style = AnsiColor::Red.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();
pub const ADD: Style = AnsiColor::Green.on_default();
pub const DEL: Style = AnsiColor::Red.on_default();
pub const HUNK: Style = AnsiColor::Cyan.on_default();

/// `text` in `style`, reset after.
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// A unified diff of `old` → `new`, coloured per line.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    let mut out = String::new();
    for line in text.lines() {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            BOLD
        } else if line.starts_with('+') {
            ADD
        } else if line.starts_with('-') {
            DEL
        } else if line.starts_with("@@") {
            HUNK
        } else {
            Style::new()
        };
        out.push_str(&paint(style, line));
        out.push('\n');
    }
    out
}
