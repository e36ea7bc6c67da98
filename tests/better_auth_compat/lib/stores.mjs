// What a scenario reads or changes in a target's database, behind one interface per kind of
// server: the schemas differ, the questions do not. Used only where HTTP cannot tell (how a
// password is stored) or cannot wait (a session older than a day).

import pg from "pg";

async function query(databaseUrl, sql, params) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Better Auth's tables (/work/shared/reference/better-auth-1.7.25-schema.sql). */
const betterAuth = (databaseUrl) => ({
  /** The stored credential password of `email`. */
  async passwordHash(email) {
    const rows = await query(
      databaseUrl,
      `SELECT a.password FROM account a JOIN "user" u ON u.id = a."userId"
       WHERE u.email = $1 AND a."providerId" = 'credential'`,
      [email],
    );
    return rows[0]?.password ?? null;
  },
  /** Move a session `seconds` into the past: created, updated and expiring that much earlier. */
  async ageSession(token, seconds) {
    const rows = await query(
      databaseUrl,
      `UPDATE session SET "createdAt" = "createdAt" - make_interval(secs => $2),
         "updatedAt" = "updatedAt" - make_interval(secs => $2),
         "expiresAt" = "expiresAt" - make_interval(secs => $2)
       WHERE token = $1 RETURNING id`,
      [token, seconds],
    );
    if (rows.length !== 1) throw new Error(`no session with token ${token}`);
  },
  /** Whether a session row with `token` exists. */
  async sessionExists(token) {
    const rows = await query(databaseUrl, "SELECT 1 FROM session WHERE token = $1", [token]);
    return rows.length === 1;
  },
});

/**
 * The generated server's tables (templates/auth-server/migrations/0001_init.sql.tera): a
 * session of Better Auth's API is a `sessions` row found by the SHA-256 of its token, and it
 * stands until `revoked_at` is set (sign-out, expiry) rather than being deleted.
 */
const authgen = (databaseUrl) => ({
  async passwordHash(email) {
    const rows = await query(databaseUrl, "SELECT password_hash FROM users WHERE email = $1", [email]);
    return rows[0]?.password_hash ?? null;
  },
  async ageSession(token, seconds) {
    const rows = await query(
      databaseUrl,
      `UPDATE sessions SET created_at = created_at - make_interval(secs => $2),
         updated_at = updated_at - make_interval(secs => $2),
         expires_at = expires_at - make_interval(secs => $2)
       WHERE token_hash = sha256(convert_to($1, 'UTF8')) RETURNING id`,
      [token, seconds],
    );
    if (rows.length !== 1) throw new Error(`no session with token ${token}`);
  },
  async sessionExists(token) {
    const rows = await query(
      databaseUrl,
      "SELECT 1 FROM sessions WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND revoked_at IS NULL",
      [token],
    );
    return rows.length === 1;
  },
});

const STORES = { "better-auth": betterAuth, authgen };

/** The store of `target` for one configuration's database. */
export function storeFor(target, databaseUrl) {
  const make = STORES[target.kind];
  if (!make) {
    throw new Error(
      `lib/stores.mjs has no store for target kind "${target.kind}": add one that answers ` +
        `the same questions from that server's tables`,
    );
  }
  return make(databaseUrl);
}
