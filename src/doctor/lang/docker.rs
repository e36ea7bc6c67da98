//! Dockerfiles: instructions and their words with spans; nothing is evaluated.

/// One Dockerfile instruction (continuation lines joined).
#[derive(Debug, Clone)]
pub struct DockerInstruction {
    /// Upper case: `FROM`, `ENV`, `EXPOSE`, ...
    pub keyword: String,
    /// Whole instruction, all its physical lines.
    pub span: std::ops::Range<usize>,
    /// The arguments as characters with their byte offsets in the file (continuations removed).
    chars: Vec<(usize, char)>,
}

/// A word of an instruction's arguments: the text without quotes and its span in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerWord {
    pub text: String,
    pub span: std::ops::Range<usize>,
}

impl DockerInstruction {
    /// Arguments split at unquoted whitespace, quotes removed.
    pub fn words(&self) -> Vec<DockerWord> {
        let mut words = Vec::new();
        let mut current: Option<DockerWord> = None;
        let mut quote: Option<char> = None;
        for &(at, c) in &self.chars {
            let end = at + c.len_utf8();
            if quote.is_none() && c.is_whitespace() {
                words.extend(current.take());
                continue;
            }
            let word = current.get_or_insert_with(|| DockerWord {
                text: String::new(),
                span: at..end,
            });
            word.span.end = end;
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                _ => word.text.push(c),
            }
        }
        words.extend(current);
        words
    }

    /// `ENV`/`ARG` pairs: `K=v K2="v 2"` or the legacy `ENV K value with spaces`.
    pub fn pairs(&self) -> Vec<(DockerWord, DockerWord)> {
        let words = self.words();
        let Some(first) = words.first() else {
            return Vec::new();
        };
        if !first.text.contains('=') {
            if self.keyword == "ENV" && words.len() > 1 {
                let value = DockerWord {
                    text: words[1..]
                        .iter()
                        .map(|w| w.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    span: words[1].span.start..words[words.len() - 1].span.end,
                };
                return vec![(first.clone(), value)];
            }
            return Vec::new();
        }
        words
            .iter()
            .filter_map(|w| {
                let eq = w.text.find('=')?;
                // The key is never quoted; the value starts right after `=` in the file.
                let key_end = w.span.start + eq;
                Some((
                    DockerWord {
                        text: w.text[..eq].to_owned(),
                        span: w.span.start..key_end,
                    },
                    DockerWord {
                        text: w.text[eq + 1..].to_owned(),
                        span: key_end + 1..w.span.end,
                    },
                ))
            })
            .collect()
    }
}

/// The instructions of a Dockerfile: `#` comments, the `# escape=` directive, line
/// continuations and heredoc bodies (`RUN <<EOF`) are handled; nothing is evaluated.
pub fn dockerfile_instructions(text: &str) -> Vec<DockerInstruction> {
    let mut escape = '\\';
    let mut out: Vec<DockerInstruction> = Vec::new();
    let mut open: Option<DockerInstruction> = None;
    let mut heredoc: Option<String> = None;
    let mut directives = true;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if let Some(marker) = &heredoc {
            if trimmed.trim_end() == marker {
                heredoc = None;
            }
            continue;
        }
        if directives {
            if let Some(rest) = trimmed.strip_prefix('#') {
                let rest = rest.trim();
                if let Some(value) = rest
                    .strip_prefix("escape")
                    .and_then(|r| r.trim_start().strip_prefix('='))
                {
                    escape = value.trim().chars().next().unwrap_or('\\');
                }
                continue;
            }
            directives = false;
        }
        if trimmed.starts_with('#') || (trimmed.is_empty() && open.is_none()) {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let mut body_start = start + indent;
        let mut body = trimmed;
        let mut instruction = match open.take() {
            Some(instruction) => instruction,
            None => {
                let keyword_len = body.find(char::is_whitespace).unwrap_or(body.len());
                let keyword = body[..keyword_len].to_ascii_uppercase();
                body = &body[keyword_len..];
                body_start += keyword_len;
                DockerInstruction {
                    keyword,
                    span: start + indent..start + line.len(),
                    chars: Vec::new(),
                }
            }
        };
        instruction.span.end = start + line.len();
        let content = body.trim_end();
        let continued = content.ends_with(escape);
        let content = if continued {
            &content[..content.len() - escape.len_utf8()]
        } else {
            content
        };
        if !instruction.chars.is_empty() {
            instruction.chars.push((body_start, ' '));
        }
        instruction
            .chars
            .extend(content.char_indices().map(|(i, c)| (body_start + i, c)));
        if let Some(marker) = content
            .split_whitespace()
            .find_map(|w| w.strip_prefix("<<"))
            .map(|m| {
                m.trim_start_matches('-')
                    .trim_matches(['"', '\''])
                    .to_owned()
            })
            .filter(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            heredoc = Some(marker);
        }
        if continued {
            open = Some(instruction);
        } else {
            out.push(instruction);
        }
    }
    out.extend(open);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_env_and_continuations() {
        let text = "# escape=\\\nFROM node:22 AS build\n# comment\nENV NODE_ENV=production \\\n    PORT=\"3000\"\nENV HOST 127.0.0.1\nRUN <<EOF\nENV FAKE=1\nEOF\nEXPOSE 3000/tcp 9229\n";
        let instructions = dockerfile_instructions(text);
        let keywords: Vec<_> = instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(keywords, ["FROM", "ENV", "ENV", "RUN", "EXPOSE"]);
        let pairs = instructions[1].pairs();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].0.text, "PORT");
        assert_eq!(pairs[1].1.text, "3000");
        assert_eq!(&text[pairs[1].1.span.clone()], "\"3000\"");
        let legacy = instructions[2].pairs();
        assert_eq!(
            (legacy[0].0.text.as_str(), legacy[0].1.text.as_str()),
            ("HOST", "127.0.0.1")
        );
        let expose = instructions[4].words();
        assert_eq!(&text[expose[0].span.clone()], "3000/tcp");
    }
}
