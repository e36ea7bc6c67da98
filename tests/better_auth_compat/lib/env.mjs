// What the driver (tests/better_auth_compat.rs) tells the scenarios, through the environment.
//
//   COMPAT_TARGETS        JSON: [{name, kind, secret, configs: {<config>: {baseURL, databaseUrl}}}]
//                         kind "better-auth" is the reference; every target of a config must
//                         make the same observations
//   COMPAT_APP_ORIGIN     the frontend origin, trusted by every target and sent as Origin
//   COMPAT_MAIL_DIR       where the SMTP sink writes the mails it receives
//   COMPAT_PROVIDER_BASE  the fake OAuth provider's base URL every target authorizes against
//   COMPAT_OUT_DIR        where each target's observations are written (default:
//                         <repo>/target/better-auth-compat)
//   COMPAT_UPDATE_GOLDEN  1: rewrite reference-observations/ from the reference target

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const HARNESS_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const GOLDEN_DIR = join(HARNESS_DIR, "reference-observations");
export const REFERENCE_KIND = "better-auth";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the harness through its driver, ` +
        "`bash scripts/with-postgres.sh cargo test --test better_auth_compat`",
    );
  }
  return value;
}

/** The targets under test, each with the configurations it serves. */
export function targets() {
  const list = JSON.parse(required("COMPAT_TARGETS"));
  for (const target of list) {
    for (const key of ["name", "kind", "secret", "configs"]) {
      if (!target[key]) throw new Error(`COMPAT_TARGETS: a target without ${key}`);
    }
  }
  return list;
}

export const appOrigin = () => required("COMPAT_APP_ORIGIN");
export const mailDir = () => required("COMPAT_MAIL_DIR");
export const providerBase = () => required("COMPAT_PROVIDER_BASE");
export const outDir = () =>
  process.env.COMPAT_OUT_DIR || join(HARNESS_DIR, "..", "..", "target", "better-auth-compat");
export const updateGolden = () => process.env.COMPAT_UPDATE_GOLDEN === "1";
