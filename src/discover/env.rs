//! The database provider, read from `DATABASE_URL` in the repository's env files.
//!
//! The URL is parsed and dropped: only the provider and the file name survive, because the
//! URL carries a password and discovery facts are printed and written to records.

use super::inventory::Inventory;
use super::{Database, DatabaseProvider, join_rel};

/// Env files that hold real values, in the order they are consulted in each directory.
/// `.env.example` is skipped on purpose: it holds placeholders.
const ENV_FILES: &[&str] = &[
    ".env",
    ".env.local",
    ".env.development",
    ".env.development.local",
];
const URL_KEYS: &[&str] = &["DATABASE_URL", "POSTGRES_URL", "POSTGRES_PRISMA_URL"];

pub fn find_database(inv: &Inventory, dirs: &[&str], warnings: &mut Vec<String>) -> Database {
    for dir in dirs {
        for name in ENV_FILES {
            let rel = join_rel(dir, name);
            let Ok(bytes) = inv.read_bytes(&rel) else {
                continue;
            };
            let Some(url) = database_url(&bytes, &rel, warnings) else {
                continue;
            };
            return Database {
                provider: provider_of(&url),
                env_file: Some(rel),
            };
        }
    }
    Database {
        provider: DatabaseProvider::None,
        env_file: None,
    }
}

fn database_url(bytes: &[u8], rel: &str, warnings: &mut Vec<String>) -> Option<String> {
    let mut found = None;
    for item in dotenvy::from_read_iter(bytes) {
        match item {
            Ok((key, value)) => {
                if let Some(rank) = URL_KEYS.iter().position(|k| *k == key) {
                    if found.as_ref().is_none_or(|(r, _)| rank < *r) {
                        found = Some((rank, value));
                    }
                }
            }
            Err(_) => {
                warnings.push(format!(
                    "{rel}: could not be parsed as an env file, skipped"
                ));
                return None;
            }
        }
    }
    found
        .map(|(_, value)| value)
        .filter(|v| !v.trim().is_empty())
}

/// Which hosted PostgreSQL the URL points at.
pub fn provider_of(url: &str) -> DatabaseProvider {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return DatabaseProvider::Unknown;
    };
    let Some(host) = parsed.host_str() else {
        return DatabaseProvider::Unknown;
    };
    let host = host.to_ascii_lowercase();
    if host.ends_with(".neon.tech") {
        DatabaseProvider::Neon
    } else if host.ends_with(".supabase.co") || host.ends_with(".supabase.com") {
        DatabaseProvider::Supabase
    } else if host.ends_with(".railway.app")
        || host.ends_with(".rlwy.net")
        || host.ends_with(".railway.internal")
    {
        DatabaseProvider::Railway
    } else if matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1")
        || !host.contains('.')
    {
        // A dot-less host is a compose service name such as `db` or `postgres`.
        DatabaseProvider::Local
    } else {
        DatabaseProvider::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_by_host() {
        use DatabaseProvider::*;
        let cases = [
            (
                "postgresql://u:p@ep-x-1.us-east-2.aws.neon.tech/neondb?sslmode=require",
                Neon,
            ),
            (
                "postgresql://postgres.ref:p@aws-0-us-east-1.pooler.supabase.com:6543/postgres",
                Supabase,
            ),
            (
                "postgresql://postgres:p@db.abcd.supabase.co:5432/postgres",
                Supabase,
            ),
            (
                "postgresql://postgres:p@roundhouse.proxy.rlwy.net:31000/railway",
                Railway,
            ),
            ("postgresql+psycopg://app:p@localhost:5432/app", Local),
            ("postgres://app:p@db:5432/app", Local),
            ("postgres://app:p@db.example.com/app", Unknown),
            ("${DATABASE_URL}", Unknown),
        ];
        for (url, expected) in cases {
            assert_eq!(provider_of(url), expected, "{url}");
        }
    }
}
