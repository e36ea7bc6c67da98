//! Env files: the `KEY=value` format every tool shares, and whole-word mentions of a
//! variable in env files and deploy configurations.

use std::ops::Range;

/// One assignment in an env file, with the spans a fix needs.
#[derive(Debug, Clone)]
pub struct EnvEntry {
    pub key: String,
    pub value: String,
    /// The whole line, without its newline.
    pub line: Range<usize>,
    pub key_span: Range<usize>,
    /// The value as written, quotes included.
    pub value_span: Range<usize>,
}

/// The env format everyone shares: `KEY=value`, optional `export `, single or double quotes,
/// `#` comments (after whitespace when unquoted). Lines that are not assignments are skipped.
pub fn parse_env(text: &str) -> Vec<EnvEntry> {
    let mut entries = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start().len();
        let mut rest = &line[indent..];
        let mut at = line_start + indent;
        if rest.starts_with('#') || rest.is_empty() {
            continue;
        }
        if let Some(after) = rest.strip_prefix("export ") {
            at += rest.len() - after.trim_start().len();
            rest = after.trim_start();
        }
        let Some(eq) = rest.find('=') else { continue };
        let key = rest[..eq].trim_end();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            continue;
        }
        let key_span = at..at + key.len();
        let after_eq = &rest[eq + 1..];
        let lead = after_eq.len() - after_eq.trim_start_matches([' ', '\t']).len();
        let value_text = &after_eq[lead..];
        let value_start = at + eq + 1 + lead;
        let (value, written_len) = match value_text.chars().next() {
            Some(q @ ('"' | '\'')) => match value_text[1..].find(q) {
                Some(close) => (value_text[1..1 + close].to_owned(), close + 2),
                None => (value_text[1..].to_owned(), value_text.len()),
            },
            _ => {
                let end = value_text
                    .find(" #")
                    .or_else(|| value_text.find("\t#"))
                    .unwrap_or(value_text.len());
                let value = value_text[..end].trim_end();
                (value.to_owned(), value.len())
            }
        };
        entries.push(EnvEntry {
            key: key.to_owned(),
            value,
            line: line_start..line_start + line.len(),
            key_span,
            value_span: value_start..value_start + written_len,
        });
    }
    entries
}

/// Whether `text` holds `word` as a whole identifier (`RESEND_API_KEY`, not
/// `MY_RESEND_API_KEY_OLD`): for env files and deploy configs, never for source code.
pub fn mentions_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_ident)
            && !text[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_with_quotes_comments_and_export() {
        let text = "# c\nA=1\nexport B = \"two words\" \nC='x' # note\nD=v # c\nbad line\nE=\n";
        let entries = parse_env(text);
        let pairs: Vec<_> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("A", "1"),
                ("B", "two words"),
                ("C", "x"),
                ("D", "v"),
                ("E", "")
            ]
        );
        assert_eq!(&text[entries[1].value_span.clone()], "\"two words\"");
        assert_eq!(&text[entries[3].value_span.clone()], "v");
    }
}
