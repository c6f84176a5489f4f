// HTTP and the live WebSocket of mission control (docs/api.md). The token lives in sessionStorage:
// it is gone when the tab closes and is never put in a URL.
const TOKEN_KEY = "skyloop.token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
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

// The live stream with reconnect (1 s doubling to 15 s). onStatus(true|false) reports the link;
// a close with code 1008 (bad token) calls onRefused instead of reconnecting.
export class LiveLink {
  constructor({ onMessage, onStatus, onRefused }) {
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onRefused = onRefused;
    this.delayMs = 1000;
    this.stopped = false;
    this.ws = null;
    this.watchdog = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.watchdog);
    if (this.ws) this.ws.close();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/v1/live`, ["skyloop", `skyloop.bearer.${storedToken()}`]);
    this.ws = ws;
    ws.onmessage = (event) => {
      this.delayMs = 1000;
      this.alive();
      this.onMessage(JSON.parse(event.data));
    };
    ws.onopen = () => this.alive();
    ws.onclose = (event) => {
      clearTimeout(this.watchdog);
      if (this.ws !== ws || this.stopped) return;
      if (event.code === 1008) {
        this.onRefused(event.reason);
        return;
      }
      this.onStatus(false);
      setTimeout(() => this.connect(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, 15000);
    };
  }

  // heartbeats come every [api] heartbeat_s (15 s): silence for 40 s means the link is gone
  alive() {
    this.onStatus(true);
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.ws && this.ws.close(), 40000);
  }
}
