// The normaliser and the comparer on made-up exchanges: what must stay equal across servers
// stays equal, and every real difference (status, body field, cookie attribute, header,
// signature, identity, time) makes the comparison fail.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { differences, report } from "../lib/compare.mjs";
import { Normaliser, cacheSignature, cookieSignature, formatOffset } from "../lib/normalise.mjs";
import { observeExchange, parseSetCookie } from "../lib/observe.mjs";

const SECRET = "0123456789abcdef0123456789abcdef";
const BASE = "http://127.0.0.1:4000/api/auth";
const APP = "http://app.compat.test";
const NOW = Date.parse("2026-12-01T12:00:00.000Z");
const iso = (offsetMs) => new Date(NOW + offsetMs).toISOString();
const DAY = 86_400_000;

function normaliser({ secret = SECRET, base = BASE } = {}) {
  return new Normaliser({ baseURL: base, appOrigin: APP, secret, now: () => NOW });
}

const signedCookie = (token, secret = SECRET) =>
  encodeURIComponent(`${token}.${cookieSignature(secret, token)}`);

/** A sign-in exchange as Better Auth answers it; `change` edits the raw parts first. */
function signIn(change = (raw) => raw, { secret = SECRET, token = "PbHoW5azygiazbs8kNW64fga2q4FNDMr" } = {}) {
  const raw = {
    status: 200,
    statusText: "OK",
    headers: { "content-type": "application/json" },
    setCookies: [`better-auth.session_token=${signedCookie(token, secret)}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax`],
    body: {
      redirect: false,
      token,
      user: {
        id: "XnUJtF7hlzUgsNFH5oayZJPiYxlNef3l",
        email: "ada@example.test",
        name: "Ada",
        emailVerified: false,
        image: null,
        createdAt: iso(0),
        updatedAt: iso(0),
      },
    },
  };
  const edited = change(structuredClone(raw));
  return {
    browser: "ada",
    method: "POST",
    url: `${BASE}/sign-in/email`,
    requestHeaders: new Headers({ origin: APP, "content-type": "application/json" }),
    requestBody: JSON.stringify({ email: "ada@example.test", password: "correct-horse-battery" }),
    status: edited.status,
    statusText: edited.statusText,
    headers: new Headers(edited.headers),
    setCookies: edited.setCookies,
    text: typeof edited.body === "string" ? edited.body : JSON.stringify(edited.body),
  };
}

function observe(exchange, options) {
  const n = normaliser(options);
  n.name("ada@example.test", "email:ada");
  return observeExchange(n, exchange);
}

describe("normaliser", () => {
  test("the same raw value gets the same alias everywhere, a new one the next number", () => {
    const n = normaliser();
    const out = n.value({
      user: { id: "u1", email: "a@x" },
      session: { id: "s1", token: "t1", userId: "u1" },
      other: { id: "u2", email: "b@x" },
    });
    assert.equal(out.user.id, "<user:1>");
    assert.equal(out.session.userId, "<user:1>");
    assert.equal(out.session.id, "<session:1>");
    assert.equal(out.session.token, "<session-token:1>");
    assert.equal(out.other.id, "<user:2>");
  });

  test("retracted aliases leave the others alone and give their numbers back", () => {
    const n = normaliser();
    n.value([{ token: "t1" }, { token: "h1" }, { token: "h2" }]);
    assert.throws(() => n.retract(["t1"]), /not the newest/);
    n.retract(["h1", "h2"]);
    assert.equal(n.string("t1"), "<session-token:1>");
    assert.equal(n.value({ token: "t2" }).token, "<session-token:2>");
    assert.throws(() => n.retract(["never seen"]), /no numbered alias/);
  });

  test("a signed cookie shows its token's alias and whether the HMAC and encoding are right", () => {
    const n = normaliser();
    assert.equal(n.string("tok", "token"), "<session-token:1>");
    const name = "better-auth.session_token";
    assert.equal(n.cookieValue(name, signedCookie("tok")), "<session-token:1>.<hmac-sha256 base64, url-encoded>");
    assert.equal(
      n.cookieValue(name, `tok.${cookieSignature(SECRET, "tok")}`),
      "<session-token:1>.<hmac-sha256 base64, not url-encoded>",
    );
    assert.equal(n.cookieValue(name, signedCookie("tok", "another secret of 32 characters!")), "<session-token:1>.<bad signature>");
    assert.equal(n.cookieValue(name, "tok"), "<session-token:1>");
    assert.equal(n.cookieValue(name, ""), "");
    assert.equal(n.cookieValue("better-auth.dont_remember", signedCookie("true")), "true.<hmac-sha256 base64, url-encoded>");
  });

  test("the compact session cache is decoded and its signature checked", () => {
    const session = { session: { id: "s1", token: "t1", userId: "u1" }, user: { id: "u1", email: "a@x" }, updatedAt: NOW, version: "1" };
    const expiresAt = NOW + 300_000;
    const signature = cacheSignature(SECRET, JSON.stringify({ ...session, expiresAt }));
    const wire = Buffer.from(JSON.stringify({ session, expiresAt, signature })).toString("base64url");
    const good = normaliser().cookieValue("better-auth.session_data", wire);
    assert.equal(good.compactCache.signature, "<hmac-sha256 base64url over JSON {...session, expiresAt}>");
    assert.equal(good.compactCache.expiresAt, "<now+5m as unix ms>");
    assert.equal(good.compactCache.session.session.userId, "<user:1>");
    const forged = Buffer.from(JSON.stringify({ session, expiresAt, signature: "x" })).toString("base64url");
    assert.equal(normaliser().cookieValue("better-auth.session_data", forged).compactCache.signature, "<bad signature>");
  });

  test("times are offsets from now, to the minute, with their format checked", () => {
    const n = normaliser();
    assert.equal(n.string(iso(2000)), "<now>");
    assert.equal(n.string(iso(7 * DAY)), "<now+7d>");
    assert.equal(n.string(iso(-DAY - 90 * 60_000)), "<now-1d1h30m>");
    assert.equal(n.string("2026-12-08T12:00:00Z"), '<now+7d as "9999-99-99T99:99:99Z">');
    assert.equal(n.value(Math.floor(NOW / 1000) + 900, "exp"), "<now+15m as unix seconds>");
    assert.equal(formatOffset(14_000), "");
    assert.equal(formatOffset(-45 * 60_000), "-45m");
  });

  test("URLs: origins named, tokens and states aliased by where they appear", () => {
    const n = normaliser();
    assert.equal(
      n.string(`${BASE}/verify-email?token=abc&callbackURL=${encodeURIComponent(`${APP}/done`)}`),
      "<auth>/api/auth/verify-email?token=<verification-token:1>&callbackURL=<app>/done",
    );
    assert.equal(n.string(`${BASE}/reset-password/r1?callbackURL=`), "<auth>/api/auth/reset-password/<reset-token:1>?callbackURL=");
    assert.equal(n.string(APP), "<app>");
    assert.equal(n.string(`https://elsewhere.example/x?state=s1`), "https://elsewhere.example/x?state=<state:1>");
  });

  test("a JWT becomes its header and claims", () => {
    const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const jwt = `${part({ alg: "EdDSA", kid: "k1" })}.${part({ sub: "u1", iat: NOW / 1000, exp: NOW / 1000 + 900 })}.sig`;
    assert.deepEqual(normaliser().string(jwt), {
      jwt: {
        header: { alg: "EdDSA", kid: "<key:1>" },
        claims: { sub: "<user:1>", iat: "<now as unix seconds>", exp: "<now+15m as unix seconds>" },
      },
    });
  });

  test("Set-Cookie attributes in canonical case", () => {
    assert.deepEqual(parseSetCookie("a=b; max-age=0; path=/; httponly; samesite=lax; secure"), {
      name: "a",
      value: "b",
      attributes: { "Max-Age": 0, Path: "/", HttpOnly: true, SameSite: "Lax", Secure: true },
    });
  });
});

describe("comparer", () => {
  const reference = observe(signIn());

  test("two servers answering alike (other ids, tokens, times, secret) compare equal", () => {
    const other = observe(
      signIn(
        (raw) => {
          raw.body.user.id = "another-generated-user-id";
          raw.body.user.createdAt = iso(1500);
          raw.body.user.updatedAt = iso(1500);
          return raw;
        },
        { secret: "a different secret, 32 characters", token: "AnotherTokenAnotherTokenAnotherT" },
      ),
      { secret: "a different secret, 32 characters" },
    );
    assert.deepEqual(differences(reference, other), []);
  });

  const cases = {
    "a different status": [(raw) => ({ ...raw, status: 201, statusText: "Created" }), "$.response.status"],
    "a missing body field": [
      (raw) => {
        delete raw.body.user.image;
        return raw;
      },
      "$.response.body.user.image",
    ],
    "a body field of another type": [
      (raw) => {
        raw.body.user.emailVerified = "false";
        return raw;
      },
      "$.response.body.user.emailVerified",
    ],
    "a cookie attribute": [
      (raw) => ({ ...raw, setCookies: [raw.setCookies[0].replace("SameSite=Lax", "SameSite=Strict")] }),
      "$.response.cookies[0].SameSite",
    ],
    "a missing cookie attribute": [
      (raw) => ({ ...raw, setCookies: [raw.setCookies[0].replace("; Max-Age=604800", "")] }),
      '$.response.cookies[0]["Max-Age"]',
    ],
    "a header": [
      (raw) => ({ ...raw, headers: { ...raw.headers, "cache-control": "no-store" } }),
      '$.response.headers["cache-control"]',
    ],
    "another content type": [
      (raw) => ({ ...raw, headers: { "content-type": "application/json; charset=utf-8" } }),
      '$.response.headers["content-type"]',
    ],
    "a wrong cookie signature": [
      (raw) => ({ ...raw, setCookies: [raw.setCookies[0].replace(/%3D;/, "%3E;")] }),
      "$.response.cookies[0].value",
    ],
    "a cookie that does not carry the body's token": [
      (raw) => ({
        ...raw,
        setCookies: [
          `better-auth.session_token=${signedCookie("Z".repeat(32))}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax`,
        ],
      }),
      // The cookie is read first: the body's token is the one that no longer matches it.
      "$.response.body.token",
    ],
    "a time off by a day": [
      (raw) => {
        raw.body.user.createdAt = iso(-DAY);
        return raw;
      },
      "$.response.body.user.createdAt",
    ],
    "a time without milliseconds": [
      (raw) => {
        raw.body.user.updatedAt = raw.body.user.updatedAt.replace(".000Z", "Z");
        return raw;
      },
      "$.response.body.user.updatedAt",
    ],
    "an error code": [
      () => ({
        status: 200,
        statusText: "OK",
        headers: { "content-type": "application/json" },
        setCookies: [],
        body: { message: "Invalid email or password", code: "INVALID_CREDENTIALS" },
      }),
      "$.response.body.code",
    ],
  };
  for (const [name, [change, path]] of Object.entries(cases)) {
    test(`${name} is a difference at ${path}`, () => {
      const diffs = differences(reference, observe(signIn(change)));
      assert.ok(
        diffs.some((d) => d.path === path),
        `expected a difference at ${path}, got:\n${report(diffs, "reference", "other") || "  none"}`,
      );
    });
  }

  test("array order and length are differences, object key order is not", () => {
    assert.deepEqual(differences({ a: 1, b: 2 }, { b: 2, a: 1 }), []);
    assert.equal(differences([1, 2], [2, 1]).length, 2);
    assert.deepEqual(differences([1], [1, 2]), [{ path: "$[1]", expected: "<absent>", actual: 2 }]);
    assert.deepEqual(differences({ a: null }, {}), [{ path: "$.a", expected: null, actual: "<absent>" }]);
  });
});
