import assert from "node:assert/strict";
import { scenario } from "../lib/scenario.mjs";

const PASSWORD = "correct-horse-battery";
const SESSION_COOKIE = "better-auth.session_token";

scenario("email-verification", ["full"], async (run) => {
  const ada = run.browser("ada");
  const email = run.email("ada");
  const callbackURL = `${run.appOrigin}/verified`;
  await run.step("sign up with a callbackURL", () =>
    ada.client.signUp.email({ email, password: PASSWORD, name: "Ada", callbackURL }),
  );
  const { link } = await run.mail(email);
  assert.ok(link.startsWith(`${run.baseURL}/verify-email?token=`), link);
  const opened = await run.step("follow the mailed link", () => ada.open(link));
  assert.equal(opened.status, 302);
  assert.equal(opened.headers.get("location"), callbackURL);
  assert.ok(await ada.cookie(SESSION_COOKIE), "signed in by the link (autoSignInAfterVerification)");
  const session = await run.step("the session it opened", () => ada.client.getSession());
  assert.equal(session.data.user.emailVerified, true);
  const again = await run.step("the link again: already verified, no new session", () =>
    run.browser("ada's phone").open(link),
  );
  assert.equal(again.status, 302);
  const bad = await run.step("a broken token with a callbackURL: back to it with ?error=", () =>
    run.browser("prober").open(`${run.baseURL}/verify-email?token=not-a-token&callbackURL=${encodeURIComponent(callbackURL)}`),
  );
  assert.equal(bad.headers.get("location"), `${callbackURL}?error=INVALID_TOKEN`);
  const json = await run.step("a broken token without callbackURL, from the client", () =>
    run.browser("prober 2").client.verifyEmail({ query: { token: "not-a-token" } }),
  );
  assert.equal(json.error.status, 401);
  assert.equal(json.error.code, "INVALID_TOKEN");
  const untrusted = await run.step("an untrusted callbackURL", () =>
    run.browser("phisher").open(`${run.baseURL}/verify-email?token=x&callbackURL=${encodeURIComponent("https://evil.example/")}`),
  );
  assert.equal(untrusted.status, 403);
});

scenario("send-verification-email", ["full"], async (run) => {
  const bob = run.browser("bob");
  const email = run.email("bob");
  await run.step("sign up", () => bob.client.signUp.email({ email, password: PASSWORD, name: "Bob" }));
  await run.mail(email, 1);
  // Better Auth's verification token is a JWT over {email, userId, iat, exp} with iat in
  // seconds: asked for within the same second, the second link would be the first one again.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const resend = await run.step("ask for another link", () =>
    bob.client.sendVerificationEmail({ email, callbackURL: `${run.appOrigin}/welcome` }),
  );
  assert.deepEqual(resend.data, { status: true });
  const { link } = await run.mail(email, 2);
  const unknown = await run.step("the same for an unknown address", () =>
    run.browser("stranger").client.sendVerificationEmail({ email: run.email("nobody") }),
  );
  assert.deepEqual(unknown.data, { status: true });
  const opened = await run.step("the second link works", () => bob.open(link));
  assert.equal(opened.headers.get("location"), `${run.appOrigin}/welcome`);
  const verified = await run.step("signed in and verified: asking again is refused", () =>
    bob.client.sendVerificationEmail({ email }),
  );
  assert.equal(verified.error.status, 400);
  assert.equal(verified.error.code, "EMAIL_ALREADY_VERIFIED");
});

/** A verified user of the full configuration, signed in in `browser`. */
async function verifiedUser(run, browser, label) {
  const email = run.email(label);
  await run.step(`${label} signs up`, () =>
    browser.client.signUp.email({ email, password: PASSWORD, name: label }),
  );
  const { link } = await run.mail(email);
  await run.step(`${label} verifies`, () => browser.open(link));
  return email;
}

scenario("password-reset", ["full"], async (run) => {
  const laptop = run.browser("ada's laptop");
  const email = await verifiedUser(run, laptop, "ada");
  const redirectTo = `${run.appOrigin}/reset`;
  const request = await run.step("request a reset", () =>
    laptop.client.requestPasswordReset({ email, redirectTo }),
  );
  assert.equal(request.data.status, true);
  const unknown = await run.step("the same answer for an unknown address", () =>
    run.browser("stranger").client.requestPasswordReset({ email: run.email("nobody"), redirectTo }),
  );
  assert.deepEqual(unknown.data, request.data);
  const { link } = await run.mail(email, 2);
  assert.ok(link.startsWith(`${run.baseURL}/reset-password/`), link);
  const phone = run.browser("ada's phone");
  const opened = await run.step("follow the mailed link: to redirectTo with the token", () => phone.open(link));
  assert.equal(opened.status, 302);
  const landing = new URL(opened.headers.get("location"));
  assert.equal(`${landing.origin}${landing.pathname}`, redirectTo);
  const token = landing.searchParams.get("token");
  const short = await run.step("a new password too short", () =>
    phone.client.resetPassword({ newPassword: "short", token }),
  );
  assert.equal(short.error.code, "PASSWORD_TOO_SHORT");
  const reset = await run.step("reset the password", () =>
    phone.client.resetPassword({ newPassword: "a-new-passphrase", token }),
  );
  assert.deepEqual(reset.data, { status: true });
  const reused = await run.step("the token works once", () =>
    phone.client.resetPassword({ newPassword: "yet-another-passphrase", token }),
  );
  assert.equal(reused.error.status, 400);
  assert.equal(reused.error.code, "INVALID_TOKEN");
  const cached = await run.step("the laptop's session_data cache still answers", () =>
    laptop.client.getSession(),
  );
  assert.equal(cached.data.user.email, email);
  const laptopAfter = await run.step("but every session ended (revokeSessionsOnPasswordReset)", () =>
    laptop.client.getSession({ query: { disableCookieCache: true } }),
  );
  assert.equal(laptopAfter.data, null);
  const old = await run.step("the old password no longer signs in", () =>
    phone.client.signIn.email({ email, password: PASSWORD }),
  );
  assert.equal(old.error.status, 401);
  const fresh = await run.step("the new one does", () =>
    phone.client.signIn.email({ email, password: "a-new-passphrase" }),
  );
  assert.equal(fresh.error, null);
  const stale = await run.step("the used link again: to redirectTo with ?error=INVALID_TOKEN", () =>
    run.browser("ada's tablet").open(link),
  );
  assert.equal(new URL(stale.headers.get("location")).searchParams.get("error"), "INVALID_TOKEN");
});

scenario("magic-link", ["full"], async (run) => {
  const cleo = run.browser("cleo");
  const email = run.email("cleo");
  const callbackURL = `${run.appOrigin}/home`;
  const sent = await run.step("ask for a link (a new address)", () =>
    cleo.client.signIn.magicLink({
      email,
      name: "Cleo",
      callbackURL,
      newUserCallbackURL: `${run.appOrigin}/welcome`,
    }),
  );
  assert.deepEqual(sent.data, { status: true });
  const { link } = await run.mail(email);
  assert.ok(link.startsWith(`${run.baseURL}/magic-link/verify?token=`), link);
  const opened = await run.step("follow it: a new, verified user, to newUserCallbackURL", () => cleo.open(link));
  assert.equal(opened.status, 302);
  assert.equal(opened.headers.get("location"), `${run.appOrigin}/welcome`);
  const session = await run.step("the session it opened", () => cleo.client.getSession());
  assert.equal(session.data.user.email, email);
  assert.equal(session.data.user.emailVerified, true);
  assert.equal(session.data.user.name, "Cleo");
  const reused = await run.step("the link works once: to callbackURL with ?error=", () =>
    run.browser("cleo's phone").open(link),
  );
  assert.equal(reused.headers.get("location"), `${callbackURL}?error=INVALID_TOKEN`);

  const phone = run.browser("cleo's tablet");
  await run.step("an existing user asks for a link without callbackURL", () =>
    phone.client.signIn.magicLink({ email }),
  );
  const { link: second } = await run.mail(email, 2);
  const verified = await run.step("verify through the client: session JSON, cookie set", () =>
    phone.client.magicLink.verify({ query: { token: new URL(second).searchParams.get("token") } }),
  );
  assert.equal(verified.data.user.email, email);
  assert.equal(typeof verified.data.token, "string");
  assert.equal(verified.data.session.token, verified.data.token);
  const invalid = await run.step("an invalid email", () =>
    phone.client.signIn.magicLink({ email: "not-an-email" }),
  );
  assert.equal(invalid.error.status, 400);
});
