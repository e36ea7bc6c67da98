//! `.authgen/manifest.toml`: what authgen wrote and the hash of what it wrote, so a later
//! run can tell the user's edits from its own output.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::GenerateError;

pub const MANIFEST_PATH: &str = ".authgen/manifest.toml";

const HEADER: &str = "\
# Written by authgen: the files it generated and the SHA-256 of what it wrote, so a later
# `authgen init` can tell your edits from its own output. Commit it; do not edit it by hand.
";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub auth_dir: Option<String>,
    #[serde(default, rename = "file")]
    pub files: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    pub path: String,
    pub template: String,
    pub sha256: String,
}

impl Manifest {
    pub fn read(root: &Path) -> Result<Manifest, GenerateError> {
        let path = root.join(MANIFEST_PATH);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest::default());
            }
            Err(err) => {
                return Err(GenerateError::Io {
                    path: MANIFEST_PATH.into(),
                    message: err.to_string(),
                });
            }
        };
        toml::from_str(&text).map_err(|e| GenerateError::Io {
            path: MANIFEST_PATH.into(),
            message: format!(
                "{e}\n  delete it to start over: every existing file will then count as yours"
            ),
        })
    }

    pub fn entry(&self, path: &str) -> Option<&ManifestEntry> {
        self.files.iter().find(|e| e.path == path)
    }

    pub fn render(&self) -> String {
        let mut sorted = self.clone();
        sorted.files.sort_by(|a, b| a.path.cmp(&b.path));
        let body = toml::to_string(&sorted).expect("manifest serialises");
        format!("{HEADER}{body}")
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
