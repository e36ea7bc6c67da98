//! The verifier's dependencies, added to the backend's own manifest: one line each in a
//! requirements file, or `[project] dependencies` / Poetry's table in pyproject.toml (with
//! toml_edit, so comments and layout survive). A dependency the backend already declares is
//! left as it is, pin included — unless the pin admits a version below the requirement's
//! security floor (PyJWT before 2.10.1 has CVE-2024-53861): then only the version part is
//! raised, keeping the name, extras, markers and comment. An axum backend gets the
//! `auth-verifier` crate as a path dependency in its Cargo.toml.

use std::str::FromStr;

use pep508_rs::pep440_rs::{Operator, Version, VersionSpecifiers};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Value};

use super::workspace::push_keeping_layout;
use super::{Action, Change, GenerateError, Source};
use crate::configure::{Algorithm, AuthConfig, SessionValidation};
use crate::discover::{Backend, BackendFramework, Project, requirement_names};

/// The lowest PyJWT the verifier accepts: 2.10.0 has CVE-2024-53861 (a partial `iss` match),
/// fixed in 2.10.1. The generator raises a declared pin below it; the doctor's
/// `jwt-verification` flags one.
pub const PYJWT_FLOOR: &str = "2.10.1";

/// PyJWT as the FastAPI verifier needs it: the `crypto` extra (EdDSA), at least
/// [`PYJWT_FLOOR`].
pub const PYJWT: Requirement = Requirement {
    name: "pyjwt",
    extras: &["crypto"],
    version: PYJWT_FLOOR,
    floor: Some(PYJWT_FLOOR),
};

/// The version specifiers of one PEP 508 requirement (`PyJWT[crypto]>=2.8,<3`); `None` for
/// a URL, no version bound, or a spec that does not parse.
fn specifiers(spec: &str) -> Option<(pep508_rs::Requirement, VersionSpecifiers)> {
    let parsed = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(spec.trim()).ok()?;
    let Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) = &parsed.version_or_url else {
        return None;
    };
    let specifiers = specifiers.clone();
    Some((parsed, specifiers))
}

/// Whether the PEP 508 requirement `spec` allows `version`; `None` when it has no version
/// bound (or does not parse).
pub fn admits(spec: &str, version: &str) -> Option<bool> {
    let (_, specifiers) = specifiers(spec)?;
    Some(specifiers.contains(&Version::from_str(version).ok()?))
}

/// Whether `spec` allows some release below `version`: the releases a range could still pick
/// (a sample of real PyJWT releases and the versions the specifiers name).
pub fn admits_below(spec: &str, version: &str) -> Option<bool> {
    let (_, specifiers) = specifiers(spec)?;
    let floor = Version::from_str(version).ok()?;
    let sample = [
        "0.4.3", "1.0.0", "1.7.1", "2.0.0", "2.3.0", "2.4.0", "2.6.0", "2.8.0", "2.9.0", "2.10.0",
    ]
    .iter()
    .filter_map(|v| Version::from_str(v).ok());
    let named = specifiers.iter().map(|s| s.version().clone());
    Some(
        sample
            .chain(named)
            .filter(|v| *v < floor)
            .any(|v| specifiers.contains(&v)),
    )
}

/// A Python requirement: its normalised distribution name, extras and version bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub name: &'static str,
    pub extras: &'static [&'static str],
    pub version: &'static str,
    /// A declared version range that admits anything below this is raised to it.
    pub floor: Option<&'static str>,
}

impl Requirement {
    /// `PyJWT[crypto]>=2.10`
    pub fn pep508(&self) -> String {
        let extras = if self.extras.is_empty() {
            String::new()
        } else {
            format!("[{}]", self.extras.join(","))
        };
        format!("{}{extras}>={}", self.display_name(), self.version)
    }

    /// `spec` (one PEP 508 requirement for this distribution) with its version raised to the
    /// floor, when it admits a version below it; `None` when it is fine as it is (no floor,
    /// no version bound, a URL, or nothing below the floor admitted).
    pub fn raised(&self, spec: &str) -> Option<String> {
        let floor = Version::from_str(self.floor?).ok()?;
        if !admits_below(spec, self.floor?)? {
            return None;
        }
        let (parsed, specifiers) = specifiers(spec)?;
        // Keep the upper bounds and exclusions that still allow the floor.
        let mut kept = vec![format!(">={floor}")];
        for specifier in specifiers.iter() {
            let keeps = matches!(
                specifier.operator(),
                Operator::LessThan | Operator::LessThanEqual | Operator::NotEqual
            ) && specifier.contains(&floor);
            if keeps {
                kept.push(specifier.to_string());
            }
        }
        let written = spec.trim();
        let name_end = written
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(written.len());
        let mut extras: Vec<String> = parsed.extras.iter().map(ToString::to_string).collect();
        for extra in self.extras {
            if !extras.iter().any(|e| e == extra) {
                extras.push((*extra).to_owned());
            }
        }
        let mut out = written[..name_end].to_owned();
        if !extras.is_empty() {
            out.push_str(&format!("[{}]", extras.join(",")));
        }
        out.push_str(&kept.join(","));
        if let Some(marker) = parsed.marker.contents() {
            out.push_str(&format!("; {marker}"));
        }
        Some(out)
    }

    fn display_name(&self) -> &'static str {
        match self.name {
            "pyjwt" => "PyJWT",
            "sqlalchemy" => "SQLAlchemy",
            other => other,
        }
    }
}

/// What the FastAPI verifier imports, for this configuration.
pub fn python_requirements(config: &AuthConfig, backend: &Backend) -> Vec<Requirement> {
    let mut reqs = vec![
        PYJWT,
        Requirement {
            name: "pydantic-settings",
            extras: &[],
            version: "2.6",
            floor: None,
        },
    ];
    if config.algorithm == Algorithm::Eddsa {
        reqs.push(Requirement {
            name: "httpx",
            extras: &[],
            version: "0.27",
            floor: None,
        });
    }
    if config.session_validation == SessionValidation::Database && backend.engine.is_none() {
        reqs.push(Requirement {
            name: "sqlalchemy",
            extras: &[],
            version: "2.0",
            floor: None,
        });
        reqs.push(Requirement {
            name: "psycopg",
            extras: &["binary"],
            version: "3.2",
            floor: None,
        });
    }
    reqs
}

/// The edit to the chosen backend's dependency manifest, when it lacks what the verifier
/// needs: the Python requirements, or the `auth-verifier` path dependency for axum.
pub fn manifest_change(
    project: &Project,
    config: &AuthConfig,
    backend: Option<&Backend>,
) -> Result<Option<Change>, GenerateError> {
    let Some(backend) = backend else {
        return Ok(None);
    };
    let io = |message: String| GenerateError::Io {
        path: backend.manifest.clone(),
        message,
    };
    let target = project.root.join(&backend.manifest);
    let old = match std::fs::read_to_string(&target) {
        Ok(text) => Some(text),
        // A FastAPI backend without requirements.txt gets one.
        Err(err)
            if err.kind() == std::io::ErrorKind::NotFound
                && backend.kind == BackendFramework::Fastapi =>
        {
            None
        }
        Err(err) => return Err(io(err.to_string())),
    };
    let text = old.as_deref().unwrap_or_default();
    let new = match backend.kind {
        BackendFramework::Fastapi if backend.manifest.ends_with("pyproject.toml") => {
            add_to_pyproject(text, &python_requirements(config, backend))
        }
        BackendFramework::Fastapi => Ok(add_to_requirements(
            text,
            &python_requirements(config, backend),
        )),
        BackendFramework::Axum => {
            let verifier = super::context::axum_verifier_dir(&config.auth_dir);
            add_path_dependency(text, "auth-verifier", &relative(&backend.dir, &verifier))
        }
    }
    .map_err(io)?;
    if old.as_deref() == Some(new.as_str()) {
        return Ok(None);
    }
    Ok(Some(Change {
        path: backend.manifest.clone(),
        target,
        source: Source::Dependencies,
        action: if old.is_some() {
            Action::Update
        } else {
            Action::Create
        },
        old,
        new: Some(new),
        executable: false,
    }))
}

/// Append the missing requirements, one per line, under a comment saying why; raise a
/// declared one below its floor in place.
pub fn add_to_requirements(text: &str, reqs: &[Requirement]) -> String {
    let raised = raise_in_requirements(text, reqs);
    let text = raised.as_str();
    let present: Vec<String> = requirement_names(text).collect();
    let missing: Vec<&Requirement> = reqs
        .iter()
        .filter(|r| !present.iter().any(|p| p == r.name))
        .collect();
    if missing.is_empty() {
        return text.to_owned();
    }
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("# auth: access-token verification (added by authgen)\n");
    for req in missing {
        out.push_str(&req.pep508());
        out.push('\n');
    }
    out
}

/// `text` with every line declaring a requirement below its floor raised (comment and line
/// ending kept).
fn raise_in_requirements(text: &str, reqs: &[Requirement]) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let comment_at = body
            .find('#')
            .map_or(body.len(), |hash| body[..hash].trim_end().len());
        let (spec, comment) = body.split_at(comment_at);
        let name = requirement_names(spec).next();
        let raised = reqs
            .iter()
            .filter(|r| name.as_deref() == Some(r.name))
            .find_map(|r| r.raised(spec));
        match raised {
            Some(new) => {
                out.push_str(&new);
                out.push_str(comment);
                out.push_str(ending);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Add the missing requirements to PEP 621 `[project] dependencies`, or to
/// `[tool.poetry.dependencies]` in a Poetry project.
pub fn add_to_pyproject(text: &str, reqs: &[Requirement]) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let poetry = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"))
        .is_some();
    if poetry
        && doc
            .get("project")
            .and_then(|p| p.get("dependencies"))
            .is_none()
    {
        let deps = doc["tool"]["poetry"]["dependencies"]
            .as_table_like_mut()
            .ok_or("[tool.poetry.dependencies] is not a table")?;
        for req in reqs {
            let present = deps.iter().any(|(key, _)| normalise(key) == req.name);
            if present {
                continue;
            }
            let version = format!(">={}", req.version);
            let value = if req.extras.is_empty() {
                Value::from(version)
            } else {
                let mut table = InlineTable::new();
                table.insert("version", Value::from(version));
                table.insert(
                    "extras",
                    Value::Array(req.extras.iter().copied().collect::<Array>()),
                );
                Value::InlineTable(table)
            };
            deps.insert(req.display_name(), Item::Value(value));
        }
        return Ok(doc.to_string());
    }
    let project = doc
        .get_mut("project")
        .and_then(Item::as_table_like_mut)
        .ok_or("has no [project] table")?;
    if project.get("dependencies").is_none() {
        project.insert("dependencies", Item::Value(Value::Array(Array::new())));
    }
    let deps = project
        .get_mut("dependencies")
        .and_then(Item::as_array_mut)
        .ok_or("[project] dependencies is not an array")?;
    for value in deps.iter_mut() {
        let Some(spec) = value.as_str() else { continue };
        let name = requirement_names(spec).next();
        let raised = reqs
            .iter()
            .filter(|r| name.as_deref() == Some(r.name))
            .find_map(|r| r.raised(spec));
        if let Some(new) = raised {
            let decor = value.decor().clone();
            *value = Value::from(new);
            *value.decor_mut() = decor;
        }
    }
    let present: Vec<String> = deps
        .iter()
        .filter_map(Value::as_str)
        .flat_map(requirement_names)
        .collect();
    for req in reqs {
        if !present.iter().any(|p| p == req.name) {
            push_keeping_layout(deps, &req.pep508());
        }
    }
    Ok(doc.to_string())
}

/// `[dependencies] name = { path = "…" }`, unless the crate already depends on `name`.
pub fn add_path_dependency(text: &str, name: &str, path: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    if doc.get("dependencies").is_none() {
        doc.insert("dependencies", Item::Table(toml_edit::Table::new()));
    }
    let deps = doc["dependencies"]
        .as_table_like_mut()
        .ok_or("[dependencies] is not a table")?;
    if deps.contains_key(name) {
        return Ok(text.to_owned());
    }
    let mut table = InlineTable::new();
    table.insert("path", Value::from(path));
    deps.insert(name, Item::Value(Value::InlineTable(table)));
    Ok(doc.to_string())
}

/// The path from directory `from` to `to`, both relative to the repository root.
fn relative(from: &str, to: &str) -> String {
    let from: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    let to: Vec<&str> = to.split('/').filter(|p| !p.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    parts.join("/")
}

fn normalise(name: &str) -> String {
    requirement_names(name).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: Requirement = PYJWT;
    const HTTPX: Requirement = Requirement {
        name: "httpx",
        extras: &[],
        version: "0.27",
        floor: None,
    };

    #[test]
    fn pins_below_the_security_floor_are_raised_and_nothing_else() {
        for (spec, raised) in [
            ("PyJWT==2.8.0", Some("PyJWT[crypto]>=2.10.1")),
            ("pyjwt[crypto]>=2.8,<3", Some("pyjwt[crypto]>=2.10.1,<3")),
            ("PyJWT~=2.9.0", Some("PyJWT[crypto]>=2.10.1")),
            (
                "PyJWT>=2.0 ; python_version >= \"3.10\"",
                Some("PyJWT[crypto]>=2.10.1; python_full_version >= '3.10'"),
            ),
            ("PyJWT==2.10.0", Some("PyJWT[crypto]>=2.10.1")),
            ("PyJWT==2.3.0", Some("PyJWT[crypto]>=2.10.1")),
            ("PyJWT<1.5", Some("PyJWT[crypto]>=2.10.1")),
            ("PyJWT>=2.11", None),
            ("PyJWT>=2.10.1", None),
            ("PyJWT[crypto]==2.10.1", None),
            ("PyJWT", None),
            ("PyJWT>=3", None),
        ] {
            assert_eq!(JWT.raised(spec).as_deref(), raised, "{spec}");
        }
        assert_eq!(HTTPX.raised("httpx==0.1"), None, "no floor, no change");
        let text = "fastapi==0.115.6\nPyJWT==2.8.0  # tokens\r\nhttpx\n";
        assert_eq!(
            add_to_requirements(text, &[JWT, HTTPX]),
            "fastapi==0.115.6\nPyJWT[crypto]>=2.10.1  # tokens\r\nhttpx\n"
        );
        let pyproject =
            "[project]\nname = \"x\"\ndependencies = [\n    \"PyJWT>=2.8\",  # jwt\n]\n";
        assert_eq!(
            add_to_pyproject(pyproject, &[JWT]).unwrap(),
            "[project]\nname = \"x\"\ndependencies = [\n    \"PyJWT[crypto]>=2.10.1\",  # jwt\n]\n"
        );
    }

    #[test]
    fn requirements_keep_existing_pins_and_add_the_rest() {
        let text = "fastapi==0.115.6\nhttpx==0.25.0  # pinned for a reason\n";
        let new = add_to_requirements(text, &[JWT, HTTPX]);
        assert_eq!(
            new,
            "fastapi==0.115.6\nhttpx==0.25.0  # pinned for a reason\n\
             # auth: access-token verification (added by authgen)\nPyJWT[crypto]>=2.10.1\n"
        );
        assert_eq!(add_to_requirements(&new, &[JWT, HTTPX]), new);
    }

    #[test]
    fn pyproject_keeps_comments_and_one_per_line_layout() {
        let text = "[project]\nname = \"x\"\n# runtime\ndependencies = [\n    \"fastapi>=0.115\",  # web\n    \"PyJWT>=2.8\",\n]\n\n[dependency-groups]\ndev = [\"httpx>=0.27\"]\n";
        let new = add_to_pyproject(text, &[JWT, HTTPX]).unwrap();
        assert_eq!(
            new,
            "[project]\nname = \"x\"\n# runtime\ndependencies = [\n    \"fastapi>=0.115\",  # web\n    \"PyJWT[crypto]>=2.10.1\",\n    \"httpx>=0.27\",\n]\n\n[dependency-groups]\ndev = [\"httpx>=0.27\"]\n"
        );
    }

    #[test]
    fn path_dependency_is_added_once_with_a_relative_path() {
        assert_eq!(
            relative("crates/api", "auth-verifier"),
            "../../auth-verifier"
        );
        assert_eq!(relative("", "auth-verifier"), "auth-verifier");
        assert_eq!(
            relative("services/api", "services/auth-verifier"),
            "../auth-verifier"
        );
        let text = "[package]\nname = \"api\"\n\n[dependencies]\naxum = \"0.8\"\n";
        let new = add_path_dependency(text, "auth-verifier", "../auth-verifier").unwrap();
        assert_eq!(
            new,
            "[package]\nname = \"api\"\n\n[dependencies]\naxum = \"0.8\"\nauth-verifier = { path = \"../auth-verifier\" }\n"
        );
        assert_eq!(
            add_path_dependency(&new, "auth-verifier", "x").unwrap(),
            new
        );
    }

    #[test]
    fn poetry_dependencies_get_tables_for_extras() {
        let text = "[tool.poetry.dependencies]\npython = \"^3.11\"\nfastapi = \"^0.115\"\n";
        let new = add_to_pyproject(text, &[JWT, HTTPX]).unwrap();
        assert!(
            new.contains("PyJWT = { version = \">=2.10.1\", extras = [\"crypto\"] }"),
            "{new}"
        );
        assert!(new.contains("httpx = \">=0.27\""), "{new}");
    }
}
