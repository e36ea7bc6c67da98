// The reference: a real Better Auth 1.7.25 server (Express 5, pg Pool, jwt plugin), configured
// from the environment the way an application would configure it. Two configurations:
//
//   basic  email + password, no verification; jwt plugin
//   full   verification required (auto sign-in after it), password reset (revoking every
//          session), magic links, Google and GitHub, the signed session_data cookie cache;
//          jwt and bearer plugins
//
// Both keep Better Auth's default rate limiter, switched on explicitly: it is only on by default
// with NODE_ENV=production, and this server runs without NODE_ENV, as the recorded transcripts
// of /work/shared/reference did (so `/error` renders its HTML page and session ipAddress comes
// only from X-Forwarded-For).
//
// Environment:
//   COMPAT_CONFIG        basic | full
//   PORT                 the port on 127.0.0.1
//   DATABASE_URL         its own PostgreSQL database; the tables are created at start with Better
//                        Auth's programmatic migration (the same SQL its CLI runs)
//   BETTER_AUTH_SECRET   the secret (cookie signatures, JWT key encryption, verification tokens)
//   BETTER_AUTH_URL      the public origin, e.g. http://127.0.0.1:PORT (base path /api/auth)
//   TRUSTED_ORIGINS      comma-separated frontend origins
//   SMTP_URL             smtp://127.0.0.1:PORT, where every mail goes (full only)
//   EMAIL_FROM           the From header of those mails (full only)
//   OAUTH_AUTHORIZE_BASE the fake provider's base URL: Google's authorize endpoint is
//                        $OAUTH_AUTHORIZE_BASE/google/authorize, GitHub's .../github/authorize
//                        (full only; nothing contacts it before a callback)

import express from "express";
import nodemailer from "nodemailer";
import pg from "pg";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { bearer } from "better-auth/plugins/bearer";
import { jwt } from "better-auth/plugins/jwt";
import { magicLink } from "better-auth/plugins/magic-link";

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`reference server: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const config = required("COMPAT_CONFIG");
if (config !== "basic" && config !== "full") {
  console.error(`reference server: COMPAT_CONFIG must be basic or full, not ${config}`);
  process.exit(2);
}
const port = Number(required("PORT"));
const pool = new pg.Pool({ connectionString: required("DATABASE_URL"), max: 5 });

const common = {
  database: pool,
  secret: required("BETTER_AUTH_SECRET"),
  baseURL: required("BETTER_AUTH_URL"),
  trustedOrigins: required("TRUSTED_ORIGINS").split(","),
  rateLimit: { enabled: true },
  telemetry: { enabled: false },
};

function fullOptions() {
  const mailer = nodemailer.createTransport(required("SMTP_URL"));
  const from = required("EMAIL_FROM");
  const send = (to, subject, url) =>
    mailer.sendMail({
      from,
      to,
      subject,
      text: `${subject}: ${url}\n`,
      html: `<p>${subject}: <a href="${url}">${url}</a></p>`,
    });
  const authorizeBase = required("OAUTH_AUTHORIZE_BASE");
  return {
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: true,
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: ({ user, url }) => send(user.email, "Reset your password", url),
    },
    emailVerification: {
      autoSignInAfterVerification: true,
      sendVerificationEmail: ({ user, url }) =>
        send(user.email, "Verify your email address", url),
    },
    session: { cookieCache: { enabled: true } },
    socialProviders: {
      google: {
        clientId: "compat-google-client",
        clientSecret: "compat-google-secret",
        authorizationEndpoint: `${authorizeBase}/google/authorize`,
      },
      github: {
        clientId: "compat-github-client",
        clientSecret: "compat-github-secret",
        authorizationEndpoint: `${authorizeBase}/github/authorize`,
      },
    },
    plugins: [
      jwt(),
      bearer(),
      magicLink({ sendMagicLink: ({ email, url }) => send(email, "Your sign-in link", url) }),
    ],
  };
}

const options =
  config === "full"
    ? { ...common, ...fullOptions() }
    : { ...common, emailAndPassword: { enabled: true }, plugins: [jwt()] };

const auth = betterAuth(options);
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const app = express();
// Better Auth reads the raw body itself: no body parser in front of it.
app.all("/api/auth/*splat", toNodeHandler(auth));
app.listen(port, "127.0.0.1", () => {
  console.error(`reference server (${config}) on ${options.baseURL}/api/auth`);
});
