//! TOML project files: the dependencies pyproject.toml (PEP 621, PEP 735 groups, Poetry, uv,
//! PDM) and Pipfiles declare, with the spans of their declarations.

use std::ops::Range;

use super::python::{normalize_py_name, pep508_name};

/// One declared dependency: normalized name, the declaration's span (the PEP 508 string,
/// quotes included, or the Poetry/Pipfile key) and, for a Poetry/Pipfile key, the span of its
/// version string (quotes included) when it has one (`PyJWT = "^2.8"`,
/// `PyJWT = { version = "^2.8", extras = ["crypto"] }`).
pub type Declared = (String, Range<usize>, Option<Range<usize>>);

fn toml_strings(item: Option<&toml_edit::Item>, out: &mut Vec<Declared>) {
    let Some(array) = item.and_then(|i| i.as_array()) else {
        return;
    };
    for value in array.iter() {
        let (Some(spec), Some(span)) = (value.as_str(), value.span()) else {
            continue;
        };
        if let Some(name) = pep508_name(spec) {
            out.push((normalize_py_name(name), span, None));
        }
    }
}

fn toml_keys(item: Option<&toml_edit::Item>, out: &mut Vec<Declared>) {
    let Some(table) = item.and_then(|i| i.as_table_like()) else {
        return;
    };
    for (key, _) in table.iter() {
        let Some((k, value)) = table.get_key_value(key) else {
            continue;
        };
        let version = match value {
            toml_edit::Item::Value(v @ toml_edit::Value::String(_)) => v.span(),
            other => other
                .as_table_like()
                .and_then(|t| t.get("version"))
                .and_then(|v| v.as_value())
                .filter(|v| v.is_str())
                .and_then(|v| v.span()),
        };
        if let Some(span) = k.span() {
            out.push((normalize_py_name(key), span, version));
        }
    }
}

/// A Poetry version constraint (`^2.8`, `~2.9`, `2.9.0`, `>=2.8,<3`) as PEP 440 specifiers
/// (`>=2.8,<3`); `None` for `*`, alternatives (`||`) and what is not a constraint.
pub fn poetry_to_pep440(constraint: &str) -> Option<String> {
    let constraint = constraint.trim();
    if constraint.is_empty() || constraint == "*" || constraint.contains("||") {
        return None;
    }
    let numbers =
        |v: &str| -> Option<Vec<u64>> { v.trim().split('.').map(|p| p.parse().ok()).collect() };
    let mut parts = Vec::new();
    for part in constraint.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix('^') {
            let n = numbers(v)?;
            // The first non-zero component may not change (`^0.4.3` is `<0.5`).
            let i = n.iter().position(|x| *x != 0).unwrap_or(n.len() - 1);
            let mut upper: Vec<u64> = n[..=i].to_vec();
            upper[i] += 1;
            let upper: Vec<String> = upper.iter().map(u64::to_string).collect();
            parts.push(format!(">={},<{}", v.trim(), upper.join(".")));
        } else if let Some(v) = part.strip_prefix('~').filter(|v| !v.starts_with('=')) {
            let n = numbers(v)?;
            let upper = match n.as_slice() {
                [major] => format!("{}", major + 1),
                [major, minor, ..] => format!("{major}.{}", minor + 1),
                [] => return None,
            };
            parts.push(format!(">={},<{upper}", v.trim()));
        } else if part.starts_with(|c: char| c.is_ascii_digit()) {
            parts.push(format!("=={part}"));
        } else if part.starts_with(['<', '>', '=', '!', '~']) {
            parts.push(part.replace(' ', ""));
        } else {
            return None;
        }
    }
    Some(parts.join(","))
}

pub fn pyproject_dependencies(text: &str) -> Vec<Declared> {
    let mut out = Vec::new();
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return out;
    };
    let root = doc.as_item();
    let project = root.get("project");
    toml_strings(project.and_then(|p| p.get("dependencies")), &mut out);
    for groups in [
        project.and_then(|p| p.get("optional-dependencies")),
        root.get("dependency-groups"),
        root.get("tool")
            .and_then(|t| t.get("pdm"))
            .and_then(|p| p.get("dev-dependencies")),
    ] {
        if let Some(table) = groups.and_then(|g| g.as_table_like()) {
            for (_, list) in table.iter() {
                toml_strings(Some(list), &mut out);
            }
        }
    }
    toml_strings(
        root.get("tool")
            .and_then(|t| t.get("uv"))
            .and_then(|u| u.get("dev-dependencies")),
        &mut out,
    );
    if let Some(poetry) = root.get("tool").and_then(|t| t.get("poetry")) {
        for key in ["dependencies", "dev-dependencies"] {
            toml_keys(poetry.get(key), &mut out);
        }
        if let Some(groups) = poetry.get("group").and_then(|g| g.as_table_like()) {
            for (_, group) in groups.iter() {
                toml_keys(group.get("dependencies"), &mut out);
            }
        }
    }
    out.retain(|(name, _, _)| name != "python");
    out
}

pub fn pipfile_dependencies(text: &str) -> Vec<Declared> {
    let mut out = Vec::new();
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return out;
    };
    for key in ["packages", "dev-packages"] {
        toml_keys(doc.as_item().get(key), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipfile_packages_and_dev_packages() {
        let text = "[packages]\nfastapi = \"*\"\n\"python-jose\" = {extras = [\"cryptography\"], version = \"*\"}\n\n[dev-packages]\npytest = \"*\"\n";
        let found = pipfile_dependencies(text);
        let got: Vec<_> = found
            .iter()
            .map(|(n, s, _)| (n.as_str(), &text[s.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("fastapi", "fastapi"),
                ("python-jose", "\"python-jose\""),
                ("pytest", "pytest")
            ]
        );
    }

    #[test]
    fn pyproject_pep621_groups_and_poetry() {
        let text = "[project]\nname = \"api\"\ndependencies = [\"fastapi>=0.110\", \"python-jose[cryptography]\"]\n\
                    [project.optional-dependencies]\nauth = [\"passlib\"]\n\
                    [tool.poetry.dependencies]\npython = \"^3.12\"\nPyJWT = \"^2.8\"\n";
        let found = pyproject_dependencies(text);
        let got: Vec<_> = found
            .iter()
            .map(|(n, s, _)| (n.as_str(), &text[s.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                ("fastapi", "\"fastapi>=0.110\""),
                ("python-jose", "\"python-jose[cryptography]\""),
                ("passlib", "\"passlib\""),
                ("pyjwt", "PyJWT"),
            ]
        );
        let version = found[3].2.clone().unwrap();
        assert_eq!(&text[version], "\"^2.8\"");
    }

    #[test]
    fn poetry_constraints_as_pep440() {
        for (poetry, pep440) in [
            ("^2.8", Some(">=2.8,<3")),
            ("^0.4.3", Some(">=0.4.3,<0.5")),
            ("~2.9", Some(">=2.9,<2.10")),
            ("~2.9.0", Some(">=2.9.0,<2.10")),
            ("2.9.0", Some("==2.9.0")),
            (">= 2.8, < 3", Some(">=2.8,<3")),
            ("~=2.9.0", Some("~=2.9.0")),
            ("*", None),
            ("^2.8 || ^3.0", None),
        ] {
            assert_eq!(poetry_to_pep440(poetry).as_deref(), pep440, "{poetry}");
        }
    }
}
