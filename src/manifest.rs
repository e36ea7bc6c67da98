//! `.authgen/manifest.toml`: what authgen wrote and the hash of what it wrote, so a later
//! run can tell the user's edits from its own output, and what the generated auth server
//! issues, so the doctor compares verifiers against facts instead of reading generated code.
//! `generate` writes it; `discover` and `doctor` read it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST_PATH: &str = ".authgen/manifest.toml";

const HEADER: &str = "\
# Written by authgen: the files it generated and the SHA-256 of what it wrote, so a later
# `authgen init` can tell your edits from its own output. Commit it; do not edit it by hand.
";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub auth_dir: Option<String>,
    /// What the generated server issues; absent in manifests of older authgen versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerFacts>,
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

/// What a generated auth server issues when its environment does not say otherwise: the
/// values a verifier must agree with. Filled in one place (`generate::server_facts`) from
/// the answers; a unit test there holds it to what the templates render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFacts {
    /// `eddsa` or `hs256`.
    pub algorithm: String,
    /// The port without `PORT`; the issuer is `http://localhost:<PORT>` without `AUTH_ISSUER`.
    pub port: u16,
    /// The path prefix of every endpoint without `AUTH_BASE_PATH`.
    pub base_path: String,
    /// The `aud` claim without `AUTH_AUDIENCE`.
    pub audience: String,
    /// The cookie holding the access token.
    pub access_cookie: String,
    /// The cookie holding the refresh token.
    pub refresh_cookie: String,
    /// The access-token cookie with `APP_ENV=production` (absent in manifests written before
    /// the production names existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_access_cookie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_refresh_cookie: Option<String>,
    /// Better Auth's session cookie, when the server answers Better Auth's API; with Secure
    /// cookies (production) it carries the `__Secure-` prefix, as Better Auth's does on https.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_cookie: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{MANIFEST_PATH}: {source}")]
    Read {
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{MANIFEST_PATH}: {source}\n  delete it to start over: every existing file will then count as yours"
    )]
    Parse {
        #[source]
        source: toml::de::Error,
    },
}

impl Manifest {
    /// The manifest under `root`; an empty one when there is none.
    pub fn read(root: &Path) -> Result<Manifest, ManifestError> {
        let text = match std::fs::read_to_string(root.join(MANIFEST_PATH)) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest::default());
            }
            Err(source) => return Err(ManifestError::Read { source }),
        };
        Manifest::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        toml::from_str(text).map_err(|source| ManifestError::Parse { source })
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
