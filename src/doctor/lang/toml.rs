//! TOML project files: the dependencies pyproject.toml (PEP 621, PEP 735 groups, Poetry, uv,
//! PDM) and Pipfiles declare, with the spans of their declarations.

use super::python::{normalize_py_name, pep508_name};

fn toml_strings(item: Option<&toml_edit::Item>, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    let Some(array) = item.and_then(|i| i.as_array()) else {
        return;
    };
    for value in array.iter() {
        let (Some(spec), Some(span)) = (value.as_str(), value.span()) else {
            continue;
        };
        if let Some(name) = pep508_name(spec) {
            out.push((normalize_py_name(name), span));
        }
    }
}

fn toml_keys(item: Option<&toml_edit::Item>, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    let Some(table) = item.and_then(|i| i.as_table_like()) else {
        return;
    };
    for (key, _) in table.iter() {
        let Some((k, _)) = table.get_key_value(key) else {
            continue;
        };
        if let Some(span) = k.span() {
            out.push((normalize_py_name(key), span));
        }
    }
}

pub fn pyproject_dependencies(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
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
    out.retain(|(name, _)| name != "python");
    out
}

pub fn pipfile_dependencies(text: &str) -> Vec<(String, std::ops::Range<usize>)> {
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
            .map(|(n, s)| (n.as_str(), &text[s.clone()]))
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
            .map(|(n, s)| (n.as_str(), &text[s.clone()]))
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
    }
}
