// The live-view panel: the selected drone's camera (RGB or thermal, switchable) with the detector's
// boxes already drawn by the payload, a few JPEG frames a second over the WebSocket
// /api/v1/drones/{id}/live-view. The stream runs only while the panel is open. Under the picture:
// the detector's current tracks (class, confidence, measurements; a confirmed one with the link to
// its lead, a tentative one — no lead yet, drawn dashed — marked "tentative" and muted), the frame
// rate over the last few seconds and how long ago the last frame arrived. When frames stop, the
// server says why (a `status` message: on the ground, drone offline, payload silent): the reason
// shows in amber over a dimmed picture until frames come back.
import { storedToken } from "./api.js";
import { t, tv } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const RATE_WINDOW_MS = 5000;

// frames per second over the arrivals (ms) of the last RATE_WINDOW_MS; null below two frames
export function framesPerSecond(arrivalsMs) {
  if (arrivalsMs.length < 2) return null;
  const spanMs = arrivalsMs[arrivalsMs.length - 1] - arrivalsMs[0];
  return spanMs > 0 ? ((arrivalsMs.length - 1) * 1000) / spanMs : null;
}

// a track's measurements: "312 °C", "40 m²", "× 12"
export function trackFigures(d) {
  const parts = [];
  if (d.t_peak_c !== null && d.t_peak_c !== undefined) parts.push(`${Math.round(d.t_peak_c)} °C`);
  if (d.area_m2 !== null && d.area_m2 !== undefined) parts.push(`${d.area_m2 < 10 ? d.area_m2.toFixed(1) : Math.round(d.area_m2)} m²`);
  if (d.count !== null && d.count !== undefined) parts.push(`× ${d.count}`);
  return parts.join(" · ");
}

const el = (tag, className, text = "") => Object.assign(document.createElement(tag), { className, textContent: text });

export class LiveViewPanel {
  // onLead(leadId): a confirmed track's lead link was clicked
  constructor({ onLead = () => {} } = {}) {
    this.root = $("live-view");
    this.img = $("live-image");
    this.status = $("live-status");
    this.tracks = $("live-tracks");
    this.stall = $("live-stall");
    this.onLead = onLead;
    this.droneId = null;
    this.camera = "rgb";
    this.ws = null;
    this.rate = $("live-rate");
    this.arrivalsMs = [];
    this.timer = null;
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
    this.tracks.replaceChildren();
    this.showStall(null);
    this.status.textContent = t("live_connecting");
    this.arrivalsMs = [];
    this.showRate();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.showRate(), 500);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const path = `/api/v1/drones/${encodeURIComponent(droneId)}/live-view?camera=${camera}`;
    const ws = new WebSocket(`${scheme}://${location.host}${path}`, ["skyloop", `skyloop.bearer.${storedToken()}`]);
    this.ws = ws;
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (ws !== this.ws) return;
      if (frame.type === "status") {
        this.showStall(frame.state === "no_frames" ? frame : null);
        return;
      }
      if (frame.type !== "frame") return; // a type this console does not know yet
      this.showStall(null);
      this.img.src = `data:image/jpeg;base64,${frame.jpeg_b64}`;
      this.img.hidden = false;
      this.img.dataset.seq = String(frame.seq);
      const nowMs = performance.now();
      this.arrivalsMs.push(nowMs);
      while (nowMs - this.arrivalsMs[0] > RATE_WINDOW_MS) this.arrivalsMs.shift();
      this.showRate();
      const at = new Date(frame.frame_timestamp_ms).toLocaleTimeString();
      this.status.textContent = `${frame.camera === "thermal" ? t("live_thermal") : t("live_rgb")} · ${at}`;
      this.showTracks(frame.detections);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.status.textContent = `${t("live_ended")}${event.reason ? `: ${event.reason}` : ""}`;
    };
  }

  // why no frames come (a `no_frames` status), or null: frames are coming
  showStall(status) {
    this.stall.hidden = !status;
    this.img.classList.toggle("stalled", Boolean(status));
    if (!status) return;
    this.showTracks([]); // the last frame's tracks are not current any more
    const known = { on_ground: "live_on_ground", drone_offline: "live_drone_offline", payload_silent: "live_payload_silent" }[status.reason];
    this.stall.dataset.reason = status.reason;
    this.stall.textContent = `${t("live_no_frames")}: ${known ? t(known) : status.detail}`;
    this.stall.title = status.detail ?? "";
  }

  // One row per track, updated in place (a row keeps its element while its track lives, so a click
  // on a lead link is not lost to the next frame a fraction of a second later).
  showTracks(detections) {
    const rows = new Map([...this.tracks.children].map((li) => [li.dataset.key, li]));
    const keep = [];
    detections.forEach((d, i) => {
      const key = d.track_id !== null && d.track_id !== undefined ? `t${d.track_id}` : `i${i}:${d.label}`;
      let li = rows.get(key);
      if (!li || li.dataset.lead !== (d.lead_id ?? "")) li = this.trackRow(key, d);
      li.querySelector(".track-label").textContent = tv(d.label);
      li.querySelector(".track-conf").textContent = `${Math.round(d.confidence * 100)}%`;
      li.querySelector(".track-figures").textContent = trackFigures(d);
      keep.push(li);
    });
    const same = keep.length === this.tracks.children.length && keep.every((li, i) => this.tracks.children[i] === li);
    if (!same) this.tracks.replaceChildren(...keep);
    this.tracks.hidden = keep.length === 0;
  }

  trackRow(key, d) {
    const confirmed = Boolean(d.lead_id);
    const li = el("li", `track ${confirmed ? "confirmed" : "tentative"}`);
    Object.assign(li.dataset, { key, lead: d.lead_id ?? "", label: d.label });
    li.append(el("b", "track-label"), " ", el("span", "track-conf"), " ", el("span", "track-figures muted"), " ");
    if (confirmed) {
      const link = el("a", "track-lead", `${t("lead")} ${d.lead_id.slice(0, 8)}`);
      Object.assign(link, { href: "#", title: d.lead_id });
      link.dataset.action = "show-lead";
      link.addEventListener("click", (event) => {
        event.preventDefault();
        this.onLead(d.lead_id);
      });
      li.append(link);
    } else {
      li.append(el("span", "track-tentative", t("live_tentative")));
    }
    return li;
  }

  // "2.0 fps · last frame 0.4 s ago" (the age counts on between frames: a stalled stream shows)
  showRate() {
    const last = this.arrivalsMs[this.arrivalsMs.length - 1];
    if (last === undefined) {
      this.rate.textContent = "";
      delete this.rate.dataset.fps;
      return;
    }
    const fps = framesPerSecond(this.arrivalsMs);
    const ageS = (performance.now() - last) / 1000;
    this.rate.dataset.fps = fps === null ? "" : fps.toFixed(2);
    this.rate.dataset.ageS = ageS.toFixed(1);
    this.rate.classList.toggle("warn", ageS > 5);
    this.rate.textContent = `${fps === null ? "–" : fps.toFixed(1)} ${t("live_fps")} · ${t("live_last_frame")} ${ageS.toFixed(1)} s ${t("live_ago")}`;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
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
