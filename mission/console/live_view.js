// The live-view panel: the selected drone's camera (RGB or thermal, switchable) with the detector's
// boxes already drawn by the payload, a few JPEG frames a second over the WebSocket
// /api/v1/drones/{id}/live-view. The stream runs only while the panel is open.
import { storedToken } from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class LiveViewPanel {
  constructor() {
    this.root = $("live-view");
    this.img = $("live-image");
    this.status = $("live-status");
    this.droneId = null;
    this.camera = "rgb";
    this.ws = null;
    $("live-close").addEventListener("click", () => this.close());
    for (const button of this.root.querySelectorAll("[data-camera]")) {
      button.addEventListener("click", () => this.open(this.droneId, button.dataset.camera));
    }
  }

  open(droneId, camera = this.camera) {
    if (!droneId) return;
    if (this.ws && droneId === this.droneId && camera === this.camera) return;
    this.stop();
    this.droneId = droneId;
    this.camera = camera;
    this.root.hidden = false;
    $("live-title").textContent = `${t("live_view")} · ${droneId}`;
    for (const b of this.root.querySelectorAll("[data-camera]")) b.classList.toggle("active", b.dataset.camera === camera);
    this.img.hidden = true;
    this.status.textContent = t("live_connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const path = `/api/v1/drones/${encodeURIComponent(droneId)}/live-view?camera=${camera}`;
    const ws = new WebSocket(`${scheme}://${location.host}${path}`, ["skyloop", `skyloop.bearer.${storedToken()}`]);
    this.ws = ws;
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type !== "frame" || ws !== this.ws) return;
      this.img.src = `data:image/jpeg;base64,${frame.jpeg_b64}`;
      this.img.hidden = false;
      this.img.dataset.seq = String(frame.seq);
      const found = frame.detections.map((d) => `${d.label} ${Math.round(d.confidence * 100)}%`);
      const at = new Date(frame.frame_timestamp_ms).toLocaleTimeString();
      this.status.textContent = `${frame.camera.toUpperCase()} · ${at}${found.length ? ` · ${found.join(", ")}` : ""}`;
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.status.textContent = `${t("live_ended")}${event.reason ? `: ${event.reason}` : ""}`;
    };
  }

  stop() {
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "viewer closed the live view");
  }

  close() {
    this.stop();
    this.root.hidden = true;
    this.droneId = null;
  }
}
