// One HTTP exchange as an observation: the request as the server saw it (method, path, Origin,
// Authorization, cookies, body) and the response as a client can act on it (status, the
// observed headers, every Set-Cookie with its attributes, the body), all normalised.

import { OBSERVED_HEADERS } from "./browser.mjs";

const ATTRIBUTE_NAMES = {
  "max-age": "Max-Age",
  expires: "Expires",
  domain: "Domain",
  path: "Path",
  secure: "Secure",
  httponly: "HttpOnly",
  samesite: "SameSite",
  partitioned: "Partitioned",
};

/** A Set-Cookie header as {name, value, attributes} with attribute names in canonical case. */
export function parseSetCookie(header) {
  const [pair, ...attributes] = header.split(";");
  const eq = pair.indexOf("=");
  const cookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    attributes: {},
  };
  for (const attribute of attributes) {
    const [rawName, ...rest] = attribute.split("=");
    const lower = rawName.trim().toLowerCase();
    if (!lower) continue;
    const name = ATTRIBUTE_NAMES[lower] ?? rawName.trim();
    const value = rest.join("=").trim();
    if (name === "Max-Age") cookie.attributes[name] = Number(value);
    else if (name === "SameSite") cookie.attributes[name] = value.charAt(0).toUpperCase() + value.slice(1).toLowerCase();
    else cookie.attributes[name] = rest.length ? value : true;
  }
  return cookie;
}

/** The Cookie request header as [name, value] pairs. */
function parseCookieHeader(header) {
  if (!header) return [];
  return header.split(";").map((part) => {
    const eq = part.indexOf("=");
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
  });
}

function sortedObject(entries) {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function body(n, contentType, text) {
  if (text === "") return "<empty>";
  if (/^application\/([a-z0-9.+-]*\+)?json/i.test(contentType ?? "")) {
    try {
      return n.value(JSON.parse(text));
    } catch {
      return { invalidJson: text };
    }
  }
  if (/^text\/html/i.test(contentType ?? "")) {
    const title = text.match(/<title>([^<]*)<\/title>/i)?.[1] ?? null;
    return { html: { title } };
  }
  return { text: n.string(text) };
}

/** The path of `url` under the auth base URL, with its query normalised. */
function requestTarget(n, url) {
  const normalised = n.url(url);
  const prefix = `<auth>${n.base.pathname.replace(/\/$/, "")}`;
  return normalised.startsWith(prefix) ? normalised.slice(prefix.length) || "/" : normalised;
}

/**
 * @param {import("./normalise.mjs").Normaliser} n the scenario's normaliser for this target
 * @param {object} exchange a raw exchange from Browser#fetch
 */
export function observeExchange(n, exchange) {
  const request = {
    browser: exchange.browser,
    request: `${exchange.method} ${requestTarget(n, exchange.url)}`,
  };
  const origin = exchange.requestHeaders.get("origin");
  request.origin = origin === null ? "<none>" : n.string(origin);
  // What Better Auth's CSRF check reads besides Origin (undici's fetch sends Sec-Fetch-Mode).
  for (const name of ["referer", "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest"]) {
    const value = exchange.requestHeaders.get(name);
    if (value !== null) request[name] = n.string(value);
  }
  const authorization = exchange.requestHeaders.get("authorization");
  if (authorization !== null) {
    const [scheme, credentials = ""] = authorization.split(" ");
    request.authorization = `${scheme} ${credentials.includes(".") ? n.signedToken(credentials) : n.string(credentials, "token")}`;
  }
  const cookies = parseCookieHeader(exchange.requestHeaders.get("cookie"));
  if (cookies.length) {
    request.cookies = sortedObject(cookies.map(([name, value]) => [name, n.cookieValue(name, value)]));
  }
  if (exchange.requestBody !== undefined && exchange.requestBody !== "") {
    request.body = body(n, exchange.requestHeaders.get("content-type"), exchange.requestBody);
  }

  const response = { status: exchange.status, statusText: exchange.statusText };
  const headers = [];
  for (const name of OBSERVED_HEADERS) {
    const value = exchange.headers.get(name);
    if (value === null) continue;
    if (name === "set-auth-jwt") headers.push([name, n.string(value)]);
    else if (name === "set-auth-token") headers.push([name, n.signedToken(value)]);
    else if (name === "location") headers.push([name, value.startsWith("/") ? n.string(value) : n.url(value)]);
    else headers.push([name, value]);
  }
  response.headers = sortedObject(headers);
  if (exchange.setCookies.length) {
    // By name, keeping the order of repeated names (the last one wins in a browser).
    response.cookies = exchange.setCookies
      .map(parseSetCookie)
      .map((cookie, index) => ({ cookie, index }))
      .sort((a, b) => (a.cookie.name < b.cookie.name ? -1 : a.cookie.name > b.cookie.name ? 1 : a.index - b.index))
      .map(({ cookie }) => ({
        name: cookie.name,
        value: n.cookieValue(cookie.name, cookie.value),
        ...sortedObject(
          Object.entries(cookie.attributes).map(([k, v]) => [
            k,
            k === "Expires" ? n.time(Date.parse(v), "HTTP date") : v,
          ]),
        ),
      }));
  }
  response.body = body(n, exchange.headers.get("content-type"), exchange.text);
  return { ...request, response };
}
