// Turning one target's raw observations into values two servers can agree on.
//
// Generated values (ids, tokens, keys, states) become aliases such as `<user:1>`, numbered in
// the order a scenario first meets them, so the same raw value gets the same alias wherever it
// reappears (a user id in a session, a JWT `sub`, a token in a body and in a cookie). Times
// become offsets from the moment the response arrived (`<now>`, `<now+7d>`), rounded to the
// minute, with their format checked. Signed cookies and signed headers are checked against the
// target's secret, so a wrong HMAC or a different encoding shows as a different observation.
// Nothing is dropped: a value the rules do not recognise stays as it is.

import { createHmac } from "node:crypto";

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The signature Better Auth (better-call) appends to a signed cookie: base64 HMAC-SHA256. */
export function cookieSignature(secret, value) {
  return createHmac("sha256", secret).update(value).digest("base64");
}

/** The signature of the compact `session_data` cookie cache: base64url (no padding) HMAC. */
export function cacheSignature(secret, value) {
  return createHmac("sha256", secret).update(value).digest("base64url");
}

/** `ms` as `+7d`, `-1h30m`, `+15m` (rounded to the minute); "" within `tolerance` ms. */
export function formatOffset(ms, tolerance = 15_000) {
  if (Math.abs(ms) <= tolerance) return "";
  const sign = ms < 0 ? "-" : "+";
  let minutes = Math.round(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const parts = [days && `${days}d`, hours && `${hours}h`, minutes && `${minutes}m`].filter(Boolean);
  return parts.length ? sign + parts.join("") : "";
}

function decodeJsonSegment(segment) {
  try {
    const value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

/** A compact JWT's header and claims, or null when `value` is not one. */
export function decodeJwt(value) {
  if (typeof value !== "string" || !JWT.test(value)) return null;
  const [header, claims] = value.split(".").map(decodeJsonSegment);
  if (!header || !claims || typeof header.alg !== "string") return null;
  return { header, claims };
}

/** What kind of generated value sits under `key` in `parent` (null: not a generated value). */
function kindOf(key, parent) {
  switch (key) {
    case "id":
      if (parent && "token" in parent && "userId" in parent) return "session";
      if (parent && "email" in parent) return "user";
      if (parent && "providerId" in parent) return "account";
      return "id";
    case "userId":
    case "sub":
      return "user";
    case "token":
      return "session-token";
    case "kid":
      return "key";
    case "x":
    case "y":
    case "n":
      return parent && "kty" in parent ? `key-${key}` : null;
    case "jti":
      return "jti";
    case "sid":
      return "session";
    default:
      return null;
  }
}

/** The alias kind of a link's `token` (query parameter or path segment), from its path. */
function linkTokenKind(pathname) {
  if (pathname.endsWith("/verify-email")) return "verification-token";
  if (pathname.endsWith("/magic-link/verify")) return "magic-link-token";
  if (pathname.includes("/reset-password")) return "reset-token";
  return "link-token";
}

const URL_PARAM_KINDS = {
  state: "state",
  code_challenge: "code-challenge",
  code: "code",
  nonce: "nonce",
};

export class Normaliser {
  /**
   * @param {object} context
   * @param {string} context.baseURL   the auth server's base URL (…/api/auth)
   * @param {string} context.appOrigin the frontend origin the browsers send
   * @param {string} context.secret    the target's secret, to check signatures
   * @param {string} [context.providerBase] the fake OAuth provider's base URL
   * @param {() => number} [context.now] the clock (ms) times are relative to
   */
  constructor({ baseURL, appOrigin, secret, providerBase, now = Date.now }) {
    this.base = new URL(baseURL);
    this.appOrigin = appOrigin;
    this.secret = secret;
    this.providerBase = providerBase;
    this.now = now;
    this.aliases = new Map();
    this.counters = new Map();
  }

  /** Give `raw` a fixed alias (`<label>`), e.g. an email address the scenario chose. */
  name(raw, label) {
    this.aliases.set(raw, `<${label}>`);
    return raw;
  }

  /** The alias of `raw`, creating `<kind:N>` when it is new. */
  alias(raw, kind) {
    const known = this.aliases.get(raw);
    if (known) return known;
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const alias = `<${kind}:${n}>`;
    this.aliases.set(raw, alias);
    return alias;
  }

  /**
   * Forget the aliases of `raws`, values a scenario replaced in what it observed (a deliberate
   * difference's stand-ins). Only the newest aliases of a kind can go, so no other alias
   * changes and the next new value gets the number it would have had without them.
   */
  retract(raws) {
    const numbered = raws.map((raw) => {
      const alias = this.aliases.get(raw);
      const [, kind, n] = alias?.match(/^<(.+):(\d+)>$/) ?? [];
      if (!kind) throw new Error(`no numbered alias to retract for ${raw}`);
      return { raw, alias, kind, n: Number(n) };
    });
    for (const { raw, alias, kind, n } of numbered.sort((a, b) => b.n - a.n)) {
      if (this.counters.get(kind) !== n) throw new Error(`${alias} is not the newest <${kind}:…>`);
      this.counters.set(kind, n - 1);
      this.aliases.delete(raw);
    }
  }

  /** A time as an offset from now: `<now>`, `<now+7d>`; non-canonical formats are named. */
  time(ms, format) {
    const offset = formatOffset(ms - this.now());
    return format ? `<now${offset} as ${format}>` : `<now${offset}>`;
  }

  isoTime(value) {
    const ms = Date.parse(value);
    return ISO_MILLIS.test(value)
      ? this.time(ms)
      : this.time(ms, `"${value.replace(/\d/g, "9")}"`);
  }

  /** A JSON value (a body, a JWT payload, a cookie cache), normalised recursively. */
  value(value, key = null, parent = null) {
    // The client hands out dates as Date objects: they were ISO strings on the wire.
    if (value instanceof Date) return this.isoTime(value.toISOString());
    if (Array.isArray(value)) return value.map((item) => this.value(item, null, value));
    if (value && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.value(v, k, value);
      return out;
    }
    if (typeof value === "number") return this.number(value, key);
    if (typeof value === "string") return this.string(value, key, parent);
    return value;
  }

  number(value, key) {
    if (["iat", "exp", "nbf", "auth_time"].includes(key) && Number.isInteger(value)) {
      return this.time(value * 1000, "unix seconds");
    }
    if (Number.isInteger(value) && value > 1e12 && value < 1e13) {
      return this.time(value, "unix ms");
    }
    return value;
  }

  string(value, key = null, parent = null) {
    const known = this.aliases.get(value);
    if (known) return known;
    if (ISO_LIKE.test(value) && !Number.isNaN(Date.parse(value))) return this.isoTime(value);
    const jwt = decodeJwt(value);
    if (jwt) return this.jwt(value, jwt);
    const kind = kindOf(key, parent);
    if (kind) return this.alias(value, kind);
    if (/^https?:\/\//.test(value)) return this.url(value);
    return value;
  }

  /** A JWT as its header and claims (the signature is checked by the scenario that needs it). */
  jwt(raw, decoded = decodeJwt(raw)) {
    return { jwt: { header: this.value(decoded.header), claims: this.value(decoded.claims) } };
  }

  /** A URL with its origin named and every query parameter normalised. */
  url(raw) {
    let url;
    try {
      url = new URL(raw);
    } catch {
      return raw;
    }
    let origin = url.origin;
    let pathname = url.pathname;
    if (origin === this.base.origin) {
      origin = "<auth>";
    } else if (origin === this.appOrigin) {
      origin = "<app>";
    } else if (this.providerBase && raw.startsWith(this.providerBase)) {
      origin = "<provider>";
      pathname = pathname.slice(new URL(this.providerBase).pathname.length);
    }
    const resetToken = pathname.match(/^(.*\/reset-password\/)([^/]+)$/);
    if (resetToken) {
      pathname = resetToken[1] + this.alias(decodeURIComponent(resetToken[2]), "reset-token");
    }
    const params = [...url.searchParams].map(([name, v]) => {
      let normalised;
      if (name === "token") normalised = this.aliases.get(v) ?? this.alias(v, linkTokenKind(url.pathname));
      else if (URL_PARAM_KINDS[name]) normalised = this.alias(v, URL_PARAM_KINDS[name]);
      else normalised = this.string(v);
      return `${name}=${typeof normalised === "string" ? normalised : JSON.stringify(normalised)}`;
    });
    const bare = raw === url.origin && pathname === "/";
    return `${origin}${bare ? "" : pathname}${params.length ? `?${params.join("&")}` : ""}${url.hash}`;
  }

  /**
   * A Set-Cookie value: a signed value as `<alias>.<signature check>`, the compact session
   * cache decoded and checked, anything else through the string rules.
   * @param {string} name the cookie's name (its prefix and `__Secure-` stripped for the kind)
   * @param {string} wire the value exactly as it appeared in the header
   */
  cookieValue(name, wire) {
    if (wire === "") return "";
    const base = name.replace(/^__(Secure|Host)-/, "").replace(/^[^.]*\./, "");
    if (base.startsWith("session_data")) return this.sessionCache(wire);
    const decoded = safeDecode(wire);
    const dot = decoded.lastIndexOf(".");
    if (dot > 0) {
      const value = decoded.slice(0, dot);
      const signature = decoded.slice(dot + 1);
      const expected = cookieSignature(this.secret, value);
      if (signature === expected) {
        const encoding =
          wire === encodeURIComponent(decoded) ? "url-encoded" : "not url-encoded";
        return `${this.signedPart(base, value)}.<hmac-sha256 base64, ${encoding}>`;
      }
      if (signature.length === 44 && signature.endsWith("=")) {
        return `${this.signedPart(base, value)}.<bad signature>`;
      }
    }
    return this.aliases.get(decoded) ?? this.alias(decoded, `cookie ${base}`);
  }

  signedPart(cookie, value) {
    if (value === "true") return "true";
    const known = this.aliases.get(value);
    if (known) return known;
    return this.alias(value, cookie === "session_token" ? "session-token" : cookie);
  }

  /** A header carrying a signed session token (`set-auth-token`): `<token>.<check>`. */
  signedToken(value) {
    const dot = value.lastIndexOf(".");
    if (dot <= 0) return this.string(value, "token");
    const token = value.slice(0, dot);
    const ok = value.slice(dot + 1) === cookieSignature(this.secret, token);
    return `${this.signedPart("session_token", token)}.${ok ? "<hmac-sha256 base64>" : "<bad signature>"}`;
  }

  /** The compact cookie cache: base64url JSON {session, expiresAt, signature}. */
  sessionCache(wire) {
    const decoded = safeDecode(wire);
    let payload;
    try {
      payload = JSON.parse(Buffer.from(decoded, "base64url").toString("utf8"));
    } catch {
      return this.alias(decoded, "cookie session_data");
    }
    if (!payload || typeof payload !== "object" || !("session" in payload)) {
      return { compactCache: this.value(payload) };
    }
    const { session, expiresAt, signature, ...rest } = payload;
    const signed = JSON.stringify({ ...session, expiresAt });
    const check =
      signature === cacheSignature(this.secret, signed)
        ? "<hmac-sha256 base64url over JSON {...session, expiresAt}>"
        : "<bad signature>";
    return {
      compactCache: {
        session: this.value(session),
        expiresAt: this.value(expiresAt, "expiresAt"),
        signature: check,
        ...this.value(rest),
      },
    };
  }
}

function safeDecode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
