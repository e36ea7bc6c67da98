// Comparing normalised observations: every difference, by JSON path, none ignored.

function kind(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Every place where `actual` differs from `expected`: a changed value, a missing or extra
 * object key, a missing or extra array element. Object key order is not a difference (JSON
 * objects are unordered); array order is.
 * @returns {{path: string, expected: unknown, actual: unknown}[]}
 */
export function differences(expected, actual, path = "$") {
  const ek = kind(expected);
  const ak = kind(actual);
  if (ek !== ak) return [{ path, expected, actual }];
  if (ek === "array") {
    const out = [];
    const length = Math.max(expected.length, actual.length);
    for (let i = 0; i < length; i++) {
      const p = `${path}[${i}]`;
      if (i >= expected.length) out.push({ path: p, expected: "<absent>", actual: actual[i] });
      else if (i >= actual.length) out.push({ path: p, expected: expected[i], actual: "<absent>" });
      else out.push(...differences(expected[i], actual[i], p));
    }
    return out;
  }
  if (ek === "object") {
    const out = [];
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of [...keys].sort()) {
      const p = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!(key in actual)) out.push({ path: p, expected: expected[key], actual: "<absent>" });
      else if (!(key in expected)) out.push({ path: p, expected: "<absent>", actual: actual[key] });
      else out.push(...differences(expected[key], actual[key], p));
    }
    return out;
  }
  return Object.is(expected, actual) ? [] : [{ path, expected, actual }];
}

/** A readable report of `diffs` between two named sides, for a failing test. */
export function report(diffs, expectedName, actualName, limit = 40) {
  const lines = diffs.slice(0, limit).map(
    (d) =>
      `  ${d.path}\n    ${expectedName}: ${JSON.stringify(d.expected)}\n    ${actualName}: ${JSON.stringify(d.actual)}`,
  );
  if (diffs.length > limit) lines.push(`  ... and ${diffs.length - limit} more`);
  return lines.join("\n");
}
