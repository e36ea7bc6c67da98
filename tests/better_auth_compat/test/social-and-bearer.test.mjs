import assert from "node:assert/strict";
import { scenario } from "../lib/scenario.mjs";

const PASSWORD = "correct-horse-battery";
const STATE_COOKIE = "better-auth.state";

scenario("social-sign-in-start", ["full"], async (run) => {
  for (const provider of ["google", "github"]) {
    const browser = run.browser(`${provider} user`);
    const { data, error } = await run.step(`${provider}: the authorization URL`, () =>
      browser.client.signIn.social({
        provider,
        callbackURL: `${run.appOrigin}/home`,
        errorCallbackURL: `${run.appOrigin}/oops`,
      }),
    );
    assert.equal(error, null);
    assert.equal(data.redirect, true);
    const url = new URL(data.url);
    assert.equal(`${url.origin}${url.pathname}`, `${run.providerBase}/${provider}/authorize`);
    assert.equal(url.searchParams.get("response_type"), "code");
    assert.equal(url.searchParams.get("redirect_uri"), `${run.baseURL}/callback/${provider}`);
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    const signedState = decodeURIComponent(await browser.cookie(STATE_COOKIE));
    assert.equal(signedState.split(".")[0], url.searchParams.get("state"), "the state cookie carries the state");
  }
  // One browser per attempt: /sign-in/* allows 3 requests in 10 s per address.
  const popup = run.browser("popup");
  const noRedirect = await run.step("disableRedirect: no Location header", () =>
    popup.client.signIn.social({ provider: "github", disableRedirect: true }),
  );
  assert.equal(noRedirect.data.redirect, false);
  const unknown = await run.step("a provider Better Auth knows but this server does not configure", () =>
    popup.client.signIn.social({ provider: "apple" }),
  );
  assert.equal(unknown.error.status, 404);
  assert.equal(unknown.error.code, "PROVIDER_NOT_FOUND");
  const invalid = await run.step("a provider name Better Auth does not know", () =>
    popup.client.signIn.social({ provider: "myspace" }),
  );
  assert.equal(invalid.error.status, 404, "any string is accepted as a provider name");
  assert.equal(invalid.error.code, "PROVIDER_NOT_FOUND");
  const untrusted = await run.step("an untrusted callbackURL", () =>
    run.browser("phisher").client.signIn.social({ provider: "google", callbackURL: "https://evil.example/" }),
  );
  assert.equal(untrusted.error.status, 403);
  assert.equal(untrusted.error.code, "INVALID_CALLBACK_URL");
});

scenario("social-callback-errors", ["full"], async (run) => {
  const browser = run.browser("ada");
  const start = await run.step("start a Google sign-in", () =>
    browser.client.signIn.social({
      provider: "google",
      callbackURL: `${run.appOrigin}/home`,
      errorCallbackURL: `${run.appOrigin}/oops`,
    }),
  );
  const state = new URL(start.data.url).searchParams.get("state");
  // Errors before the state is known go to the server's own /error page, which is followed;
  // after, to the errorCallbackURL the state carries.
  const errorOf = (response) =>
    new URL(response.headers.get("location") ?? response.visited.at(-1), run.baseURL).searchParams.get("error");
  const noState = await run.step("a callback without state: /error?error=state_not_found", () =>
    browser.open(`${run.baseURL}/callback/google?code=abc`),
  );
  assert.equal(noState.status, 200);
  assert.equal(errorOf(noState), "state_not_found");
  const wrong = await run.step("a callback with an unknown state", () =>
    browser.open(`${run.baseURL}/callback/google?code=abc&state=not-the-state`),
  );
  assert.equal(errorOf(wrong), "state_mismatch");
  const stolen = run.browser("attacker");
  const otherBrowser = await run.step("the right state from a browser without the state cookie", () =>
    stolen.open(`${run.baseURL}/callback/google?code=abc&state=${state}`),
  );
  assert.equal(errorOf(otherBrowser), "state_mismatch");
  assert.ok(otherBrowser.headers.get("location").startsWith(`${run.appOrigin}/oops?`), "the state's errorCallbackURL");
  const again = await run.step("start again", () =>
    browser.client.signIn.social({ provider: "google", errorCallbackURL: `${run.appOrigin}/oops` }),
  );
  const fresh = new URL(again.data.url).searchParams.get("state");
  const denied = await run.step("the provider reports access_denied: to errorCallbackURL", () =>
    browser.open(`${run.baseURL}/callback/google?state=${fresh}&error=access_denied&error_description=${encodeURIComponent("The user said no")}`),
  );
  assert.equal(denied.status, 302);
  const location = new URL(denied.headers.get("location"));
  assert.equal(`${location.origin}${location.pathname}`, `${run.appOrigin}/oops`);
  assert.equal(location.searchParams.get("error"), "access_denied");
  const replay = await run.step("the same state twice: consumed", () =>
    browser.open(`${run.baseURL}/callback/google?code=abc&state=${fresh}`),
  );
  assert.equal(errorOf(replay), "state_mismatch");
});

scenario("bearer", ["full"], async (run) => {
  const setup = run.browser("setup");
  const email = run.email("ada");
  await run.step("ada signs up", () => setup.client.signUp.email({ email, password: PASSWORD, name: "Ada" }));
  const { link } = await run.mail(email);
  await run.step("ada verifies", () => setup.open(link));
  // A mobile app keeps no cookies: it sends the token it was given.
  const app = run.browser("mobile app", { cookies: false });
  let signedToken;
  const signIn = await run.step("sign in: the signed token in set-auth-token", () =>
    app.client.signIn.email(
      { email, password: PASSWORD },
      { onSuccess: (context) => (signedToken = context.response.headers.get("set-auth-token")) },
    ),
  );
  assert.equal(signIn.error, null);
  assert.equal(signedToken.split(".")[0], signIn.data.token);
  const api = (authorization, action) => app.with({ origin: null, headers: { authorization } }, action);
  const signed = await run.step("Authorization: Bearer <signed token>", () =>
    api(`Bearer ${signedToken}`, () => app.client.getSession()),
  );
  assert.equal(signed.data.session.token, signIn.data.token);
  const raw = await run.step("Authorization: Bearer <raw token>", () =>
    api(`Bearer ${signIn.data.token}`, () => app.client.getSession()),
  );
  assert.equal(raw.data.session.token, signIn.data.token);
  const forged = await run.step("Authorization: Bearer <token>.<wrong signature>", () =>
    api(`Bearer ${signIn.data.token}.${"A".repeat(43)}=`, () => app.client.getSession()),
  );
  assert.equal(forged.data, null);
  const token = await run.step("GET /token with the bearer token", () =>
    api(`Bearer ${signedToken}`, () => app.client.token()),
  );
  assert.equal(typeof token.data.token, "string");
  const signOut = await run.step("sign out with the bearer token and no Origin", () =>
    api(`Bearer ${signedToken}`, () => app.client.signOut()),
  );
  assert.deepEqual(signOut.data, { success: true });
  const after = await run.step("the token is no longer a session", () =>
    api(`Bearer ${signedToken}`, () => app.client.getSession()),
  );
  assert.equal(after.data, null);
});
