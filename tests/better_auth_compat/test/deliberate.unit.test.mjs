// Every deliberate difference a scenario declares is listed in README.md's "Deliberate
// differences" section, and the list names nothing the scenarios do not declare.

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { HARNESS_DIR } from "../lib/env.mjs";
import { JWT_DIFFERENCE, SIGNUP_BINDING } from "../lib/scenario.mjs";

test("README.md lists exactly the deliberate differences the scenarios declare", async () => {
  const dir = join(HARNESS_DIR, "test");
  // Asserted by the harness on every exchange (lib/scenario.mjs), not per scenario.
  const declared = new Set([JWT_DIFFERENCE, SIGNUP_BINDING]);
  for (const file of await readdir(dir)) {
    if (!file.endsWith(".test.mjs")) continue;
    const source = await readFile(join(dir, file), "utf8");
    for (const match of source.matchAll(/\.deliberate\(\s*"([^"]+)"/g)) declared.add(match[1]);
  }
  const readme = await readFile(join(HARNESS_DIR, "..", "..", "README.md"), "utf8");
  const section = readme.split("### Deliberate differences")[1]?.split(/\n##/)[0];
  assert.ok(section, 'README.md has no "### Deliberate differences" section');
  const listed = new Set([...section.matchAll(/^- `([^`]+)`:/gm)].map((m) => m[1]));
  assert.deepEqual([...declared].sort(), [...listed].sort());
  assert.ok(declared.size > 0);
});
