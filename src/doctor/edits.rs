//! Shared edit builders: the byte surgery fixes need, written once — list items added or
//! removed in the file's layout, whole-line spans, indentation and newlines. Checks build
//! fixes from these, never by hand.

use tree_sitter::Node;

use super::workspace::SourceFile;

/// The byte range of whole lines covering `node` (including the newline), for moving
/// statements line by line.
pub fn line_span(file: &SourceFile, start: usize, end: usize) -> std::ops::Range<usize> {
    let line_start = file.text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = file.text[end..]
        .find('\n')
        .map_or(file.text.len(), |i| end + i + 1);
    line_start..line_end
}

/// The `,` token right after `item` in its list, comments skipped.
pub fn comma_after(item: Node<'_>) -> Option<Node<'_>> {
    let mut next = item.next_sibling();
    while let Some(node) = next {
        match node.kind() {
            "comment" => next = node.next_sibling(),
            "," => return Some(node),
            _ => return None,
        }
    }
    None
}

/// The `,` token right before `item` in its list, comments skipped.
pub fn comma_before(item: Node<'_>) -> Option<Node<'_>> {
    let mut prev = item.prev_sibling();
    while let Some(node) = prev {
        match node.kind() {
            "comment" => prev = node.prev_sibling(),
            "," => return Some(node),
            _ => return None,
        }
    }
    None
}

/// The whitespace before byte `at` on its line, when only whitespace precedes `at` there
/// (`at` starts the line's code).
pub fn own_line_indent(file: &SourceFile, at: usize) -> Option<&str> {
    let before = &file.text[line_start(file, at)..at];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(before)
}

/// Whether nothing but whitespace or a line comment (`//`, `#`) follows byte `at` on its line.
fn rest_of_line_is_blank(file: &SourceFile, at: usize) -> bool {
    let rest = file.text[at..]
        .split('\n')
        .next()
        .unwrap_or_default()
        .trim();
    rest.is_empty() || rest.starts_with("//") || rest.starts_with('#')
}

/// End of the line holding byte `at` (before its newline).
fn line_end(file: &SourceFile, at: usize) -> usize {
    file.text[at..]
        .find('\n')
        .map_or(file.text.len(), |i| at + i)
}

/// Edits that add `text` (`secure: true`, `secure=True`) as a new item right after `item` of
/// its comma-separated list: on a line of its own with `item`'s indentation when `item` sits
/// on its own line(s), inline (`a, text, b`) otherwise.
pub fn insert_item_after(
    file: &SourceFile,
    item: Node<'_>,
    text: &str,
) -> Vec<crate::doctor::finding::Edit> {
    use crate::doctor::finding::Edit;
    let comma = comma_after(item);
    let last = comma.map_or(item.end_byte(), |c| c.end_byte());
    let own_line =
        own_line_indent(file, item.start_byte()).filter(|_| rest_of_line_is_blank(file, last));
    match (own_line, comma) {
        (Some(indent), Some(_)) => {
            vec![Edit::insert(
                file,
                line_end(file, last),
                format!("\n{indent}{text},"),
            )]
        }
        (Some(indent), None) => vec![
            Edit::insert(file, item.end_byte(), ","),
            Edit::insert(file, line_end(file, last), format!("\n{indent}{text}")),
        ],
        (None, Some(c)) => vec![Edit::insert(file, c.end_byte(), format!(" {text},"))],
        (None, None) => vec![Edit::insert(file, item.end_byte(), format!(", {text}"))],
    }
}

/// An edit that removes `item` from its comma-separated list with its comma, and its whole
/// line when it sits on a line of its own.
pub fn remove_item(file: &SourceFile, item: Node<'_>) -> crate::doctor::finding::Edit {
    use crate::doctor::finding::Edit;
    let comma = comma_after(item);
    let last = comma.map_or(item.end_byte(), |c| c.end_byte());
    if own_line_indent(file, item.start_byte()).is_some() && rest_of_line_is_blank(file, last) {
        return Edit::delete(file, line_span(file, item.start_byte(), last));
    }
    if let Some(comma) = comma {
        let after = &file.text[comma.end_byte()..];
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        return Edit::delete(file, item.start_byte()..comma.end_byte() + spaces);
    }
    if let Some(before) = comma_before(item) {
        return Edit::delete(file, before.start_byte()..item.end_byte());
    }
    Edit::delete(file, item.byte_range())
}

/// Byte offset of the start of the line holding `at`.
pub fn line_start(file: &SourceFile, at: usize) -> usize {
    file.text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The leading whitespace of the line holding `at`.
pub fn line_indent(file: &SourceFile, at: usize) -> &str {
    let start = line_start(file, at);
    let rest = &file.text[start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

/// `"\r\n"` when the file's first line ends that way, else `"\n"`.
pub fn newline(file: &SourceFile) -> &'static str {
    match file.text.find('\n') {
        Some(i) if i > 0 && file.text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}
