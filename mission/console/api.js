// HTTP and the live WebSocket of mission control (docs/api.md). The token lives in sessionStorage:
// it is gone when the tab closes and is never put in a URL.
const TOKEN_KEY = "skyloop.token";

// FastAPI's detail: a string, or a list of problems ({loc, msg}; a 422) said by their messages
function detailText(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((p) => p?.msg ?? JSON.stringify(p)).join("; ");
  return JSON.stringify(detail);
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detailText(detail));
    this.status = status;
  }
}

export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function api(path, { method = "GET", body, token = storedToken() } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data?.detail ?? response.statusText);
  return data;
}

// The live stream with reconnect. A dropped socket is retried at once and the link reported down
// (onStatus(false): the banner) only when it is not back within GRACE_MS; then retries back off from
// 1 s to 15 s. A close with code 1008 (bad token) calls onRefused instead of reconnecting.
const GRACE_MS = 2000;

export class LiveLink {
  constructor({ onMessage, onStatus, onRefused }) {
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onRefused = onRefused;
    this.delayMs = 0;
    this.stopped = false;
    this.ws = null;
    this.watchdog = null;
    this.downTimer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.watchdog);
    clearTimeout(this.downTimer);
    if (this.ws) this.ws.close();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/v1/live`, ["skyloop", `skyloop.bearer.${storedToken()}`]);
    this.ws = ws;
    ws.onmessage = (event) => {
      this.delayMs = 0;
      this.alive();
      this.onMessage(JSON.parse(event.data));
    };
    ws.onclose = (event) => {
      clearTimeout(this.watchdog);
      if (this.ws !== ws || this.stopped) return;
      if (event.code === 1008) {
        this.onRefused(event.reason);
        return;
      }
      if (!this.downTimer) this.downTimer = setTimeout(() => this.onStatus(false), GRACE_MS);
      setTimeout(() => this.connect(), this.delayMs);
      this.delayMs = Math.min(Math.max(this.delayMs * 2, 1000), 15000);
    };
  }

  // heartbeats come every [api] heartbeat_s (15 s): silence for 40 s means the link is gone
  alive() {
    clearTimeout(this.downTimer);
    this.downTimer = null;
    this.onStatus(true);
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.ws && this.ws.close(), 40000);
  }
}
