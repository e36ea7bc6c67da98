//! Block-style YAML: locating a scalar that serde_yaml has read, to report it at its place.

/// The span of the scalar at `path` in a block-style YAML document: mapping keys, the last of
/// which may also match a `- KEY=value` sequence item (compose `environment:` lists), whose
/// value part is returned. Flow collections (`{a: 1}`) are not searched. Meant for locating
/// what serde_yaml has already read, to report it at its place.
pub fn yaml_value_span(text: &str, path: &[&str]) -> Option<std::ops::Range<usize>> {
    // indent of the key matched at each depth, and the indent of its children (first seen).
    let mut matched: Vec<(usize, Option<usize>)> = Vec::new();
    let mut block_scalar: Option<usize> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if let Some(parent) = block_scalar {
            if indent > parent {
                continue;
            }
            block_scalar = None;
        }
        if content == "---" || content == "..." {
            matched.clear();
            continue;
        }
        if let Some(&(key_indent, _)) = matched.last() {
            if indent <= key_indent {
                return None; // left the block of a matched key: keys are unique
            }
        }
        let depth = matched.len();
        let (is_item, entry) = match content.strip_prefix("- ") {
            Some(rest) => (true, rest.trim_start()),
            None => (false, content),
        };
        let entry_at = start + (line.len() - entry.len());
        if depth > 0 {
            let child = matched[depth - 1].1.get_or_insert(indent);
            if indent != *child {
                continue;
            }
        } else if indent != 0 {
            continue;
        }
        let code = strip_yaml_comment(entry);
        if is_item && depth + 1 == path.len() {
            let item = code.trim_matches(['"', '\'']);
            let quoted = item.len() != code.len();
            if let Some(value) = item
                .strip_prefix(path[depth])
                .and_then(|r| r.strip_prefix('='))
            {
                let value_at = entry_at + usize::from(quoted) + path[depth].len() + 1;
                return Some(value_at..value_at + value.len());
            }
            continue;
        }
        if is_item {
            continue;
        }
        let Some((key, value)) = yaml_key(code) else {
            continue;
        };
        if value.starts_with(['|', '>']) {
            block_scalar = Some(indent);
        }
        if key != path[depth] {
            continue;
        }
        if depth + 1 == path.len() {
            let value_at = entry_at + (code.len() - value.len());
            return (!value.is_empty()).then(|| value_at..value_at + value.len());
        }
        matched.push((indent, None));
    }
    None
}

fn strip_yaml_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return text[..i].trim_end(),
            _ => {}
        }
        previous = c;
    }
    text.trim_end()
}

/// `key: value` → (key without quotes, value as written); `None` when not a mapping entry.
fn yaml_key(code: &str) -> Option<(&str, &str)> {
    let (key, rest) = if let Some(q) = code.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        let close = code[1..].find(q)? + 1;
        (&code[1..close], &code[close + 1..])
    } else {
        let colon = code
            .char_indices()
            .find(|&(i, c)| c == ':' && code[i + 1..].chars().next().is_none_or(|n| n == ' '))?
            .0;
        (code[..colon].trim_end(), &code[colon..])
    };
    let value = rest.trim_start().strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with(' ')) {
        return None;
    }
    Some((key, value.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_value_spans() {
        let text = "services:\n  web:\n    environment:\n      - NODE_ENV=production\n      - \"BETTER_AUTH_URL=http://localhost:3000\"\n  auth:\n    image: x\n    environment:\n      AUTH_ISSUER: http://localhost:4000 # dev\n      deploy: |\n        AUTH_URL: nope\n";
        let span =
            yaml_value_span(text, &["services", "web", "environment", "BETTER_AUTH_URL"]).unwrap();
        assert_eq!(&text[span], "http://localhost:3000");
        let span =
            yaml_value_span(text, &["services", "auth", "environment", "AUTH_ISSUER"]).unwrap();
        assert_eq!(&text[span], "http://localhost:4000");
        assert!(yaml_value_span(text, &["services", "auth", "environment", "AUTH_URL"]).is_none());
        assert!(yaml_value_span(text, &["services", "web", "image"]).is_none());
    }
}
