// A scenario: one story told with the official client, run against every target that serves
// the configurations it names. The story asserts its intended outcome on each target; what it
// saw (every exchange, plus notes such as a mailed link or a verified JWT) is normalised into
// an observation, written under target/better-auth-compat/<target>/<config>/<scenario>.json,
// compared across targets, and the reference's compared with the committed golden copy in
// reference-observations/<config>/<scenario>.json.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { Browser } from "./browser.mjs";
import { differences, report } from "./compare.mjs";
import * as env from "./env.mjs";
import { linkIn, nthMailTo } from "./mail.mjs";
import { Normaliser } from "./normalise.mjs";
import { observeExchange } from "./observe.mjs";
import { storeFor } from "./stores.mjs";

/** One scenario's run against one target in one configuration. */
export class Run {
  constructor(target, config, scenario) {
    const { baseURL, databaseUrl } = target.configs[config];
    this.target = target;
    this.kind = target.kind;
    this.config = config;
    this.scenario = scenario;
    this.baseURL = baseURL;
    this.appOrigin = env.appOrigin();
    this.providerBase = env.providerBase();
    this.databaseUrl = databaseUrl;
    this.n = new Normaliser({
      baseURL,
      appOrigin: this.appOrigin,
      secret: target.secret,
      providerBase: this.providerBase,
    });
    this.steps = [];
    this.current = null;
  }

  /** The target's database questions (lib/stores.mjs), for the scenarios that need them. */
  get store() {
    assert.ok(this.databaseUrl, `${this.target.name} has no databaseUrl for ${this.config}`);
    return storeFor(this.target, this.databaseUrl);
  }

  /** A new browser (empty cookie jar, its own address) with the official client in it. */
  browser(name, { origin = this.appOrigin, cookies = true } = {}) {
    const browser = new Browser({
      name,
      baseURL: this.baseURL,
      origin,
      cookies,
      onExchange: (exchange) => this.exchange(exchange),
    });
    this.n.name(browser.address, `address of ${name}`);
    return browser;
  }

  /** A fresh address for `label`, observed as `<email:label>`. */
  email(label) {
    const address = `${label}-${randomBytes(5).toString("hex")}@example.test`;
    this.n.name(address, `email:${label}`);
    return address;
  }

  /** Run `action` as the step `label`: every exchange it makes is recorded under it. */
  async step(label, action) {
    assert.equal(this.current, null, `step "${label}" inside step "${this.current?.step}"`);
    this.current = { step: label, exchanges: [] };
    this.steps.push(this.current);
    try {
      return await action();
    } finally {
      this.current = null;
    }
  }

  open() {
    if (this.current) return this.current;
    const last = this.steps.at(-1);
    if (last?.step === "(outside a step)") return last;
    const loose = { step: "(outside a step)", exchanges: [] };
    this.steps.push(loose);
    return loose;
  }

  exchange(raw) {
    const observed = observeExchange(this.n, raw);
    everyJwt(observed, (jwt) => tokenApiClaims(this.kind, jwt));
    signupBinding(this.kind, observed, new URL(this.baseURL).pathname);
    this.open().exchanges.push(observed);
  }

  /** Record a fact that is not an exchange (normalised like a body). */
  note(key, value) {
    const step = this.open();
    step.notes ??= {};
    const normalised = this.n.value(value);
    everyJwt(normalised, (jwt) => tokenApiClaims(this.kind, jwt));
    step.notes[key] = normalised;
  }

  /** Register a value the scenario knows the identity of, e.g. a token read from a cookie. */
  name(raw, label) {
    this.n.name(raw, label);
  }

  /** The `n`-th mail to `to`: its link is noted and returned. */
  async mail(to, n = 1) {
    const message = await nthMailTo(env.mailDir(), to, n);
    const link = linkIn(message);
    this.note(`mail #${n} to ${this.n.string(to)}`, { link });
    return { message, link };
  }

  /**
   * A deliberate difference between kinds of server: `checks[kind]` asserts what this kind
   * does; the observation records only the difference's name, which README.md lists under
   * "Deliberate differences".
   */
  async deliberate(name, checks) {
    const check = checks[this.kind];
    assert.ok(check, `deliberate difference "${name}" says nothing about target kind "${this.kind}"`);
    await check();
    this.note(`deliberate difference`, name);
  }

  observation() {
    return { scenario: this.scenario, config: this.config, steps: this.steps };
  }
}

/** Call `visit` with every JWT (`{header: {alg}, claims}`) inside an observed value. */
function everyJwt(value, visit) {
  if (!value || typeof value !== "object") return;
  if (typeof value.header?.alg === "string" && value.claims && typeof value.claims === "object") {
    visit(value);
    return;
  }
  for (const item of Object.values(value)) everyJwt(item, visit);
}

/**
 * The deliberate difference `jwt-carries-token-api-claims`, asserted on every JWT a target
 * hands out (`set-auth-jwt`, `/token`, and what a scenario notes of them): the generated server's JWT is Better Auth's (the user, `sub`,
 * `iat`, `exp`, `iss`, `aud`) plus the token API's claims and header, so the backend's
 * verifiers accept it and sign-out revokes it; Better Auth's has none of them. After the
 * assertion the JWT is observed without them, and every other claim is compared.
 */
export const TOKEN_API_CLAIMS = ["role", "profile_complete", "sid", "jti"];

export const JWT_DIFFERENCE = "jwt-carries-token-api-claims";

export function tokenApiClaims(kind, jwt) {
  const name = JWT_DIFFERENCE;
  if (kind === "authgen") {
    assert.equal(jwt.header.typ, "at+jwt", `${name}: typ`);
    assert.equal(typeof jwt.claims.role, "string", `${name}: role`);
    assert.equal(typeof jwt.claims.profile_complete, "boolean", `${name}: profile_complete`);
    assert.match(jwt.claims.sid, /^<session:\d+>$/, `${name}: sid is the session's id`);
    assert.match(jwt.claims.jti, /^<jti:\d+>$/, `${name}: jti`);
    delete jwt.header.typ;
    for (const claim of TOKEN_API_CLAIMS) delete jwt.claims[claim];
  } else {
    assert.equal(kind, env.REFERENCE_KIND, `${name} says nothing about target kind "${kind}"`);
    assert.equal(jwt.header.typ, undefined, `${name}: no typ`);
    for (const claim of TOKEN_API_CLAIMS) assert.equal(jwt.claims[claim], undefined, `${name}: ${claim}`);
  }
}

/**
 * The deliberate difference `sign-up-binding-cookie`: where the server sends email links, the
 * generated server's sign-up sets an `auth_signup` cookie (HttpOnly, scoped to the base path)
 * that the browser sends back when it follows its verification link. The link keeps the
 * password chosen at sign-up only with it: an account someone else registered for the
 * address loses the password that person set when its owner proves the address (account
 * pre-hijacking). Better Auth has no such cookie. Asserted on every exchange; then the cookie
 * is observed as absent.
 */
export const SIGNUP_BINDING = "sign-up-binding-cookie";

export function signupBinding(kind, exchange, basePath) {
  const binding = (name) => name.replace(/^__Secure-/, "") === "auth_signup";
  const set = (exchange.response.cookies ?? []).filter((cookie) => binding(cookie.name));
  const sent = Object.keys(exchange.cookies ?? {}).filter(binding);
  if (kind !== "authgen") {
    assert.equal(kind, env.REFERENCE_KIND, `${SIGNUP_BINDING} says nothing about target kind "${kind}"`);
    assert.deepEqual([set, sent], [[], []], `${SIGNUP_BINDING}: Better Auth sets no auth_signup`);
    return;
  }
  for (const cookie of set) {
    assert.equal(cookie.Path, basePath, `${SIGNUP_BINDING}: scoped to ${basePath}`);
    if (cookie["Max-Age"] === 0) {
      assert.equal(cookie.value, "", `${SIGNUP_BINDING}: cleared`);
      continue;
    }
    assert.equal(cookie.HttpOnly, true, `${SIGNUP_BINDING}: HttpOnly`);
    assert.equal(cookie.SameSite, "Lax", `${SIGNUP_BINDING}: SameSite`);
    assert.ok(cookie["Max-Age"] > 0, `${SIGNUP_BINDING}: Max-Age`);
  }
  if (set.length) {
    exchange.response.cookies = exchange.response.cookies.filter((cookie) => !binding(cookie.name));
    if (!exchange.response.cookies.length) delete exchange.response.cookies;
  }
  for (const name of sent) delete exchange.cookies[name];
  if (exchange.cookies && !Object.keys(exchange.cookies).length) delete exchange.cookies;
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if (error.code === "ENOENT") return undefined;
    throw error;
  }
}

async function writeJson(path, value) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Define a scenario.
 * @param {string} name       a file name: [a-z0-9-]+
 * @param {string[]} configs  the server configurations it runs in
 * @param {(run: Run) => Promise<void>} story
 */
export function scenario(name, configs, story) {
  assert.match(name, /^[a-z0-9-]+$/);
  for (const config of configs) {
    test(`${name} [${config}]`, async () => {
      const targets = env
        .targets()
        .filter((t) => t.configs[config]);
      assert.ok(targets.length, `no target serves the ${config} configuration`);
      const observed = [];
      for (const target of targets) {
        const run = new Run(target, config, name);
        const output = join(env.outDir(), target.name, config, `${name}.json`);
        try {
          await story(run);
        } catch (error) {
          // What was observed up to the failure, for the developer to read.
          await writeJson(output, { ...run.observation(), failed: String(error.message) });
          throw new Error(`${target.name} (${config}) failed; what it saw is in ${output}`, {
            cause: error,
          });
        }
        const observation = run.observation();
        await writeJson(output, observation);
        observed.push({ target, observation });
      }
      const [first, ...others] = observed;
      for (const other of others) {
        const diffs = differences(first.observation, other.observation);
        assert.ok(
          diffs.length === 0,
          `${name} [${config}]: ${other.target.name} differs from ${first.target.name}:\n` +
            report(diffs, first.target.name, other.target.name),
        );
      }
      const reference = observed.find((o) => o.target.kind === env.REFERENCE_KIND);
      if (reference) await checkGolden(config, name, reference.observation);
    });
  }
}

async function checkGolden(config, name, observation) {
  const path = join(env.GOLDEN_DIR, config, `${name}.json`);
  if (env.updateGolden()) {
    await writeJson(path, observation);
    return;
  }
  const golden = await readJson(path);
  assert.ok(
    golden !== undefined,
    `${path} is missing: regenerate the golden observations with COMPAT_UPDATE_GOLDEN=1`,
  );
  const diffs = differences(golden, observation);
  assert.ok(
    diffs.length === 0,
    `${name} [${config}]: the reference server's observations differ from ${path}:\n` +
      report(diffs, "golden", "observed"),
  );
}
