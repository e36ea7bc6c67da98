// Reading the SMTP sink's directory (sink/smtp-sink.mjs): the messages to one address.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

async function messages(dir) {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), "utf8"))));
}

/** The `n`-th (from 1) message whose envelope goes to `to`, waited for. */
export async function nthMailTo(dir, to, n, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = (await messages(dir)).filter((m) => m.envelope_to.includes(to));
    if (mine.length >= n) return mine[n - 1];
    if (Date.now() > deadline) throw new Error(`no mail #${n} to ${to} (got ${mine.length})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many messages went to `to` so far. */
export async function mailCount(dir, to) {
  return (await messages(dir)).filter((m) => m.envelope_to.includes(to)).length;
}

/** The link in a message: the first http(s) URL of its text part, also linked from its HTML. */
export function linkIn(message) {
  const link = message.text?.split(/\s+/).find((w) => /^https?:\/\//.test(w));
  if (!link) throw new Error(`no link in ${JSON.stringify(message.text)}`);
  if (message.html && !message.html.includes(`href="${link.replaceAll("&", "&amp;")}"`) && !message.html.includes(`href="${link}"`)) {
    throw new Error(`the HTML part does not link to ${link}: ${message.html}`);
  }
  return link;
}
