//! The closed sets of answers. Each is a flag value (clap), a TOML value (serde) and a
//! template value (its kebab-case name), spelled the same everywhere.

use std::fmt;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

macro_rules! answer_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal : $help:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $(#[doc = $help] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn help(self) -> &'static str {
                match self { $($name::$variant => $help),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

answer_enum! {
    /// A way to sign in.
    Method {
        Email => "email": "email and password",
        Google => "google": "Google OAuth (authorization code + PKCE)",
        Github => "github": "GitHub OAuth (authorization code + PKCE)",
        MagicLink => "magic-link": "magic links sent by email",
    }
}

answer_enum! {
    /// An API the auth server answers on, under the same base path and service layer.
    Face {
        Token => "token": "the token API (/signup, /signin, /refresh, /me ...) for API clients and mobile apps",
        BetterAuth => "better-auth": "Better Auth's API (/sign-in/email, /get-session ...) for frontends using the better-auth client",
    }
}

answer_enum! {
    /// What the new auth server starts from.
    TakeOver {
        None => "none": "a new auth server with empty tables",
        BetterAuth => "better-auth": "take over the Better Auth deployment found here: its users, passwords, sessions and signing keys",
    }
}

answer_enum! {
    EmailVerification {
        Required => "required": "users verify their address before they can sign in",
        Off => "off": "no verification email",
    }
}

answer_enum! {
    /// How access tokens are signed.
    Algorithm {
        Eddsa => "eddsa": "EdDSA (Ed25519): verifiers fetch public keys from /jwks, no shared secret",
        Hs256 => "hs256": "HS256: one shared secret on the auth server and every verifier",
    }
}

answer_enum! {
    SessionValidation {
        Jwt => "jwt": "verify the JWT signature and claims only (fast, sign-out takes effect at token expiry)",
        Database => "database": "also check the session in the shared database (sign-out takes effect at once)",
    }
}

answer_enum! {
    DeployTarget {
        Docker => "docker": "Dockerfile and docker compose with PostgreSQL",
        Railway => "railway": "Railway (railway.json + Dockerfile)",
        Fly => "fly": "Fly.io (fly.toml + Dockerfile)",
        Local => "local": "no deploy files, run with cargo",
    }
}

answer_enum! {
    /// Which API backend verifies the tokens.
    BackendKind {
        Fastapi => "fastapi": "FastAPI",
        Axum => "axum": "axum",
        None => "none": "no API backend: only the auth server",
    }
}

answer_enum! {
    RecordsMode {
        Auto => "auto": "write prompt history records when the repo uses Spec-Kit (.specify/)",
        On => "on": "always write prompt history records",
        Off => "off": "never write them",
    }
}
