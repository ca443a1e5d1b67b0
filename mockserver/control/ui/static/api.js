// The page's calls. /_mock with the control token (Authorization: Bearer, as the control API expects);
// /api with the chosen identity's token in X-Authorization (none in open mode). Both under the page's own prefix:
// opened at /ns/NAME/_mock/ui/ the page works on namespace NAME (/ns/NAME/_mock, /ns/NAME/api).

/** Everything before /_mock/ui in the page's address: "" for the default namespace, "/ns/NAME" for NAME. */
export function basePath(pathname = window.location.pathname) {
  const at = pathname.indexOf("/_mock/ui");
  return at > 0 ? pathname.slice(0, at) : "";
}

export const BASE = basePath();

const TOKEN_KEY = "conductor-mock-control-token";

/** The control token: given once as ?token= (then dropped from the address bar), kept for this tab. */
export function controlToken() {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === "string" ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function parse(reply) {
  const text = await reply.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

export class Mock {
  constructor(token) {
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const reply = await fetch(`${BASE}/_mock${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const parsed = await parse(reply);
    if (!reply.ok) throw new ApiError(reply.status, parsed);
    return parsed;
  }

  async text(path) {
    const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
    const reply = await fetch(`${BASE}/_mock${path}`, { headers });
    if (!reply.ok) throw new ApiError(reply.status, await parse(reply));
    return reply.text();
  }
}

/** One caller of /api: an identity ({keyId, keySecret}) or the anonymous caller of open mode (null). */
export class Caller {
  constructor(key) {
    this.key = key;
    this.token = null;
  }

  async login() {
    const reply = await fetch(`${BASE}/api/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ keyId: this.key.keyId, keySecret: this.key.keySecret }),
    });
    const parsed = await parse(reply);
    if (!reply.ok) throw new ApiError(reply.status, parsed);
    this.token = parsed.token;
  }

  async call(method, path, body) {
    if (this.key && !this.token) await this.login();
    let reply = await this.send(method, path, body);
    if (reply.status === 401 && this.key) { // expired (the clock moved) or the world was reset: a new token, once
      await this.login();
      reply = await this.send(method, path, body);
    }
    const parsed = await parse(reply);
    if (!reply.ok) throw new ApiError(reply.status, parsed);
    return parsed;
  }

  send(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) headers["X-Authorization"] = this.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(`${BASE}/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }
}

export const enc = encodeURIComponent;
