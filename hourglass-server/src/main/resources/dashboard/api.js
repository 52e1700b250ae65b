// Talking to the Hourglass API (docs/API.md) from the page: the bearer token kept in
// sessionStorage, problem+json errors as ApiError, and a hook that asks for a token on 401/403.

const TOKEN_KEY = "hourglass.token";

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
  get needsToken() {
    return this.status === 401 || this.status === 403;
  }
}

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// The server's clock minus ours, from the Date header (1 s resolution), for "seconds ago".
export let clockSkewMillis = 0;

/** One API call; resolves to the parsed JSON, rejects with ApiError. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "NETWORK",
      `the server did not answer (${e.message}); retrying every second`);
  }
  const date = Date.parse(res.headers.get("Date") || "");
  if (!Number.isNaN(date)) {
    const skew = date - Date.now();
    clockSkewMillis = Math.abs(skew) > 2000 ? skew : 0;
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    throw new ApiError(res.status, json?.code || "HTTP_" + res.status,
      json?.detail || json?.title || text.slice(0, 200) || res.statusText);
  }
  return json;
}

/** Reads Prometheus text into {name: value}, summing every series of a name across its labels. */
export async function counters(names) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const res = await fetch("/metrics", { headers, cache: "no-store" });
  if (!res.ok) throw new ApiError(res.status, "HTTP_" + res.status, "metrics unavailable");
  const out = {};
  for (const line of (await res.text()).split("\n")) {
    for (const n of names) {
      if (line.startsWith(n + " ") || line.startsWith(n + "{")) {
        out[n] = (out[n] || 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
      }
    }
  }
  return out;
}
