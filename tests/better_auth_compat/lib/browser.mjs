// A browser, as far as an auth server can tell: a cookie jar, an Origin and a User-Agent on
// every request, a client address (X-Forwarded-For, as a proxy in front of the server would
// send it), redirects left to the caller. The official client runs on top of it through its
// `customFetchImpl`, and every exchange is handed to the scenario to record.

import { request as httpRequest } from "node:http";
import { createAuthClient } from "better-auth/client";
import { jwtClient, magicLinkClient } from "better-auth/client/plugins";
import { CookieJar } from "tough-cookie";

/** The response headers a scenario observes (the rest is transport: date, connection, ...). */
export const OBSERVED_HEADERS = [
  "access-control-expose-headers",
  "cache-control",
  "content-type",
  "location",
  "pragma",
  "retry-after",
  "set-auth-jwt",
  "set-auth-token",
  "www-authenticate",
  "x-retry-after",
];

/** A random address in 10.0.0.0/8: its own rate-limit bucket on every server. */
function randomAddress() {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`;
}

export class Browser {
  /**
   * @param {object} options
   * @param {string} options.name       how the scenario calls it ("ada", "ada's phone")
   * @param {string} options.baseURL    the auth server's base URL
   * @param {string} options.origin     the frontend origin sent as Origin
   * @param {(exchange: object) => void} options.onExchange receives every raw exchange
   * @param {boolean} [options.cookies] false: no cookie jar at all
   */
  constructor({ name, baseURL, origin, onExchange, cookies = true }) {
    this.name = name;
    this.baseURL = baseURL;
    this.origin = origin;
    this.address = randomAddress();
    this.userAgent = `Mozilla/5.0 (compat harness; ${name})`;
    // Without cookies (a mobile app's HTTP client) nothing is stored or sent.
    this.jar = cookies ? new CookieJar() : null;
    this.onExchange = onExchange;
    this.extraHeaders = {};
    this.fetch = this.fetch.bind(this);
    this.client = createAuthClient({
      baseURL,
      plugins: [jwtClient(), magicLinkClient()],
      fetchOptions: { customFetchImpl: this.fetch },
    });
  }

  /** Run `action` with the Origin header changed (`null`: none) or other headers added. */
  async with({ origin = this.origin, headers = {} }, action) {
    const saved = [this.origin, this.extraHeaders];
    this.origin = origin;
    this.extraHeaders = { ...this.extraHeaders, ...headers };
    try {
      return await action();
    } finally {
      [this.origin, this.extraHeaders] = saved;
    }
  }

  /** Put a cookie in the jar by hand (a tampered or forged value), as document.cookie would. */
  async setCookie(name, value) {
    await this.jar.setCookie(`${name}=${value}; Path=/`, this.baseURL);
  }

  /** The value the jar holds for `name`, as the browser would send it. */
  async cookie(name) {
    const cookies = await this.jar.getCookies(this.baseURL);
    return cookies.find((c) => c.key === name)?.value;
  }

  async fetch(input, init = {}) {
    const request = new Request(input, init);
    const headers = new Headers(request.headers);
    headers.set("user-agent", this.userAgent);
    headers.set("x-forwarded-for", this.address);
    // undici sends it whatever the request: said here so the observation shows it.
    headers.set("sec-fetch-mode", "cors");
    if (this.origin) headers.set("origin", this.origin);
    else headers.delete("origin");
    for (const [name, value] of Object.entries(this.extraHeaders)) headers.set(name, value);
    const cookie = this.jar ? await this.jar.getCookieString(request.url) : "";
    if (cookie) headers.set("cookie", cookie);
    else headers.delete("cookie");
    const body = request.body === null ? undefined : await request.text();
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      body,
      redirect: "manual",
    });
    const text = await response.text();
    const setCookies = response.headers.getSetCookie();
    for (const setCookie of this.jar ? setCookies : []) {
      await this.jar.setCookie(setCookie, response.url || request.url, { ignoreError: true });
    }
    this.onExchange({
      browser: this.name,
      method: request.method,
      url: request.url,
      requestHeaders: headers,
      requestBody: body,
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      setCookies,
      text,
    });
    const nullBody = [101, 204, 205, 304].includes(response.status);
    return new Response(nullBody ? null : text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /**
   * A request made without fetch (as curl or a server-side client would): no Sec-Fetch-*
   * headers, no cookies, no Origin unless given. Recorded like any other exchange.
   */
  async plainRequest(method, url, { headers = {}, body } = {}) {
    const all = { "user-agent": this.userAgent, "x-forwarded-for": this.address, ...headers };
    const response = await new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers: all }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ res, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.res.headers)) {
      for (const v of [value].flat()) responseHeaders.append(name, v);
    }
    this.onExchange({
      browser: this.name,
      method,
      url,
      requestHeaders: new Headers(all),
      requestBody: body,
      status: response.res.statusCode,
      statusText: response.res.statusMessage,
      headers: responseHeaders,
      setCookies: responseHeaders.getSetCookie(),
      text: response.text,
    });
    return { status: response.res.statusCode, headers: responseHeaders, text: response.text };
  }

  /**
   * Open `url` as a link click would: a GET, redirects followed while they stay on the auth
   * server. Returns the last response (a redirect out of the server stays unfollowed), with
   * `visited`: the URLs requested, in order.
   */
  async open(url) {
    let current = url;
    const visited = [];
    for (let hop = 0; hop < 10; hop++) {
      visited.push(current);
      // A navigation: no Origin header, unlike the client's fetches.
      const response = await this.with({ origin: null }, () =>
        this.fetch(current, { headers: { accept: "text/html" } }),
      );
      response.visited = visited;
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || !location) return response;
      const next = new URL(location, current);
      if (!next.href.startsWith(this.baseURL)) return response;
      current = next.href;
    }
    throw new Error(`${url}: more than 10 redirects`);
  }
}
