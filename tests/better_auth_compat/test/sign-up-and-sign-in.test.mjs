import assert from "node:assert/strict";
import { scenario } from "../lib/scenario.mjs";

const PASSWORD = "correct-horse-battery";

scenario("sign-up", ["basic", "full"], async (run) => {
  const ada = run.browser("ada");
  const email = run.email("ada");
  const { data, error } = await run.step("sign up", () =>
    ada.client.signUp.email({ email, password: PASSWORD, name: "Ada" }),
  );
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.equal(data.user.emailVerified, false);
  const session = await run.step("get the session", () => ada.client.getSession());
  if (run.config === "basic") {
    assert.equal(typeof data.token, "string", "signed in at once");
    assert.equal(session.data.user.id, data.user.id);
  } else {
    assert.equal(data.token, null, "no session before the address is verified");
    assert.equal(session.data, null);
    await run.mail(email);
  }
  await run.deliberate("password-hash-format", {
    // Better Auth: scrypt, `salthex:keyhex` (N=16384, r=16, p=1, dkLen=64).
    "better-auth": async () =>
      assert.match(await run.store.passwordHash(email), /^[0-9a-f]{32}:[0-9a-f]{128}$/),
    // The generated server: argon2id in PHC format (it verifies Better Auth's on sign-in).
    authgen: async () => assert.match(await run.store.passwordHash(email), /^\$argon2id\$v=19\$/),
  });
});

scenario("sign-up-validation", ["basic"], async (run) => {
  const eve = run.browser("eve");
  const short = await run.step("a short password", () =>
    eve.client.signUp.email({ email: run.email("short"), password: "short", name: "Eve" }),
  );
  assert.equal(short.error.status, 400);
  assert.equal(short.error.code, "PASSWORD_TOO_SHORT");
  const long = await run.step("a password over 128 characters", () =>
    eve.client.signUp.email({ email: run.email("long"), password: "x".repeat(129), name: "Eve" }),
  );
  assert.equal(long.error.code, "PASSWORD_TOO_LONG");
  const invalid = await run.step("no name and an invalid email", () =>
    eve.client.signUp.email({ email: "not-an-email", password: PASSWORD }),
  );
  assert.equal(invalid.error.status, 400);
  assert.equal(invalid.error.code, "VALIDATION_ERROR");
  // Another address, so sign-up's rate limit (3 in 10 s per address) is not what answers.
  const mallory = run.browser("mallory");
  const email = run.email("mixed-case");
  const upper = email.replace(/^mixed-case/, "Mixed-Case");
  run.name(upper, "email:mixed-case, capitalised");
  const mixed = await run.step("an address with capitals is stored lower-case", () =>
    mallory.client.signUp.email({ email: upper, password: PASSWORD, name: "Mixed" }),
  );
  assert.equal(mixed.data.user.email, email);
});

scenario("duplicate-sign-up", ["basic", "full"], async (run) => {
  const ada = run.browser("ada");
  const email = run.email("ada");
  const first = await run.step("sign up", () =>
    ada.client.signUp.email({ email, password: PASSWORD, name: "Ada" }),
  );
  assert.equal(first.error, null);
  const eve = run.browser("eve");
  const again = await run.step("sign up again with the same address", () =>
    eve.client.signUp.email({ email, password: "another-password", name: "Eve" }),
  );
  if (run.config === "basic") {
    assert.equal(again.error.status, 422);
    assert.equal(again.error.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
  } else {
    // With verification required Better Auth does not tell: a made-up user, no session.
    assert.equal(again.error, null);
    assert.equal(again.data.token, null);
    assert.notEqual(again.data.user.id, first.data.user.id);
    assert.equal(again.data.user.name, "Eve");
  }
});

scenario("sign-in", ["basic"], async (run) => {
  const setup = run.browser("setup");
  const email = run.email("ada");
  await run.step("sign up", () => setup.client.signUp.email({ email, password: PASSWORD, name: "Ada" }));

  const laptop = run.browser("ada's laptop");
  const good = await run.step("the right password", () =>
    laptop.client.signIn.email({ email, password: PASSWORD }),
  );
  assert.equal(good.error, null);
  assert.equal(good.data.redirect, false);
  assert.equal(typeof good.data.token, "string");
  const session = await run.step("the session it opened", () => laptop.client.getSession());
  assert.equal(session.data.session.token, good.data.token);

  const wrong = await run.step("a wrong password", () =>
    run.browser("guesser").client.signIn.email({ email, password: "wrong-password-xx" }),
  );
  assert.equal(wrong.error.status, 401);
  assert.equal(wrong.error.code, "INVALID_EMAIL_OR_PASSWORD");
  const unknown = await run.step("an unknown address", () =>
    run.browser("stranger").client.signIn.email({ email: run.email("nobody"), password: PASSWORD }),
  );
  assert.equal(unknown.error.status, 401);
  assert.equal(unknown.error.code, "INVALID_EMAIL_OR_PASSWORD");
  assert.equal(unknown.error.message, wrong.error.message, "unknown and wrong answer alike");
  const invalid = await run.step("not an address", () =>
    run.browser("typo").client.signIn.email({ email: "ada-at-example", password: PASSWORD }),
  );
  assert.equal(invalid.error.status, 400);
  assert.equal(invalid.error.code, "INVALID_EMAIL");

  const tablet = run.browser("ada's tablet");
  const withCallback = await run.step("with a trusted callbackURL", () =>
    tablet.client.signIn.email({ email, password: PASSWORD, callbackURL: `${run.appOrigin}/dashboard` }),
  );
  assert.equal(withCallback.data.redirect, true);
  assert.equal(withCallback.data.url, `${run.appOrigin}/dashboard`);
  const untrusted = await run.step("with an untrusted callbackURL", () =>
    run.browser("phisher").client.signIn.email({
      email,
      password: PASSWORD,
      callbackURL: "https://evil.example/steal",
    }),
  );
  assert.equal(untrusted.error.status, 403);
  assert.equal(untrusted.error.code, "INVALID_CALLBACK_URL");
  const relative = await run.step("with a relative callbackURL", () =>
    run.browser("ada's phone").client.signIn.email({ email, password: PASSWORD, callbackURL: "/welcome" }),
  );
  assert.equal(relative.data.url, "/welcome");
});

scenario("sign-in-unverified", ["full"], async (run) => {
  const ada = run.browser("ada");
  const email = run.email("ada");
  await run.step("sign up", () => ada.client.signUp.email({ email, password: PASSWORD, name: "Ada" }));
  const signIn = await run.step("sign in before verifying", () =>
    ada.client.signIn.email({ email, password: PASSWORD }),
  );
  assert.equal(signIn.error.status, 403);
  assert.equal(signIn.error.code, "EMAIL_NOT_VERIFIED");
  const wrong = await run.step("a wrong password, still unverified", () =>
    run.browser("guesser").client.signIn.email({ email, password: "wrong-password-xx" }),
  );
  assert.equal(wrong.error.code, "INVALID_EMAIL_OR_PASSWORD", "the password is checked first");
});
