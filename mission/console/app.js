// The dispatcher's console: login, the live state of the fleet and missions, the map and panels.
import { AdminPanel } from "./admin.js";
import { api, ApiError, LiveLink, storedToken, storeToken } from "./api.js";
import { CoverageView } from "./coverage.js";
import { applyLabels, currentLang, setLang, t } from "./i18n.js";
import { confirmDialog, headingDeg, keepoutAt } from "./dialogs.js";
import { launchPreviewBody } from "./launch_preview.js";
import { LiveViewPanel } from "./live_view.js";
import { incidentFramePoints, renderIncidents } from "./incidents.js";
import { DistrictMap, missionRoute } from "./map.js";
import { isActive, renderAlerts, renderDocks, renderLeads, renderMissions } from "./panels.js";
import { speakDialog } from "./speak.js";
import { tooltipLines } from "./tooltip.js";

const $ = (id) => document.getElementById(id);
const state = {
  me: null,
  docks: new Map(),
  drones: new Map(),
  missions: new Map(),
  missionDetails: new Map(),
  alerts: new Map(),
  incidents: new Map(),
  incidentDetails: new Map(),
  openIncident: null,
  leads: new Map(),
  coverage: null,
  openMission: null,
  headings: new Map(),
  snapshots: 0,
  gotoMission: null,
};
let map = null;
let coverage = null;
let liveView = null;
let admin = null;
let link = null;
let tab = "alerts";
let renderQueued = false;
const imageCache = new Map();
window.skyloop = state; // for the curious and for tests

const canDispatch = () => state.me && (state.me.role === "dispatcher" || state.me.role === "admin");

function toast(text, kind = "info") {
  const box = $("toast");
  box.textContent = text;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function setLinkUp(up) {
  const banner = $("banner");
  if (!up && banner.hidden) {
    banner.textContent = t("link_lost");
    banner.hidden = false;
    document.body.classList.add("offline");
  } else if (up && !banner.hidden) {
    banner.hidden = true;
    document.body.classList.remove("offline");
  }
}

// --- login -------------------------------------------------------------------------------------

async function login(token) {
  const me = await api("/me", { token });
  storeToken(token);
  state.me = me;
  $("who").textContent = `${me.name} · ${me.role}`;
  $("logout").hidden = false;
  document.body.dataset.role = me.role;
  $("map-hint").hidden = !canDispatch();
  if (!canDispatch()) toast(t("viewer_note"));
  map.pickEnabled = canDispatch();
  // the admin panels exist for admins only (the server refuses the others anyway)
  $("tab-admin").hidden = me.role !== "admin";
  if (me.role === "admin") {
    admin = new AdminPanel($("panel-admin"), { me, toast, onCount: (dead) => { $("count-admin").textContent = dead || ""; } });
    admin.load(); // the tab's badge: dead outbox messages
  }
  await start();
}

function showLogin(message = "") {
  $("login-error").textContent = message;
  if (!$("login").open) $("login").showModal();
  $("token").focus();
}

function logout() {
  storeToken(null);
  if (link) link.stop();
  location.reload();
}

// --- data --------------------------------------------------------------------------------------

async function refreshAll() {
  const [alerts, leads, incidents, closed, missions] = await Promise.all([
    api("/alerts?status=pending_approval"),
    api("/leads?limit=200"),
    api("/incidents?status=open&status=responding&status=reported&status=resolved&limit=1000"),
    api("/incidents?status=closed&limit=50"), // the panel lists those closed in the last day
    api("/missions?active=true"),
  ]);
  state.alerts = new Map(alerts.map((a) => [a.id, a]));
  state.leads = new Map(leads.map((l) => [l.id, l]));
  state.incidents = new Map([...incidents, ...closed].map((i) => [i.id, i]));
  for (const m of missions) state.missions.set(m.id, m);
  render();
}

async function start() {
  const geography = await api("/district");
  state.keepouts = geography.features.filter((f) => f.properties.role === "keepout");
  map.setGeography(geography);
  await refreshAll();
  link = new LiveLink({
    onMessage: onLive,
    onStatus: setLinkUp,
    onRefused: (reason) => { storeToken(null); showLogin(`${t("login_bad")}: ${reason}`); },
  });
  link.start();
}

function onLive(message) {
  switch (message.type) {
    case "snapshot":
      // every snapshot after the first is a reconnect: reload what the stream may have missed
      if (state.snapshots++ > 0) {
        refreshAll().catch((err) => toast(err.message, "error"));
        if (admin) admin.load();
      }
      state.docks = new Map(message.docks.map((d) => [d.id, d]));
      state.drones = new Map(message.drones.map((d) => [d.id, d]));
      for (const m of message.missions) state.missions.set(m.id, m);
      coverage.schedule(0);
      break;
    case "dock": {
      const before = state.docks.get(message.dock.id);
      state.docks.set(message.dock.id, message.dock);
      if (!before || before.availability.available !== message.dock.availability.available) coverage.schedule(300);
      else if (Math.abs((before.state?.wind_mps ?? 0) - (message.dock.state?.wind_mps ?? 0)) >= 1.0) coverage.schedule(1000);
      break;
    }
    case "drone":
      {
        const heading = headingDeg(state.drones.get(message.drone.id), message.drone);
        if (heading !== null) state.headings.set(message.drone.id, heading);
      }
      state.drones.set(message.drone.id, message.drone);
      break;
    case "mission":
      state.missions.set(message.mission.id, message.mission);
      if (state.openMission === message.mission.id) loadMission(message.mission.id);
      if (state.openIncident && message.mission.incident_id === state.openIncident) loadIncident(state.openIncident);
      break;
    case "mission_event":
      if (state.openMission === message.mission_id) loadMission(message.mission_id);
      break;
    case "alert":
      state.alerts.set(message.alert.id, message.alert);
      break;
    case "incident":
      state.incidents.set(message.incident.id, message.incident);
      if (state.openIncident === message.incident.id) loadIncident(message.incident.id);
      break;
    case "lead":
      state.leads.set(message.lead.id, message.lead);
      if (state.openIncident && message.lead.incident_id === state.openIncident) loadIncident(state.openIncident);
      break;
    case "outbox":
    case "audit":
      if (admin) admin.onLive(message); // only an admin's stream carries them
      return;
    default:
      return; // heartbeat
  }
  render(message.type);
}

async function loadMission(id) {
  state.missionDetails.set(id, await api(`/missions/${id}`));
  render();
}

async function loadIncident(id) {
  try {
    state.incidentDetails.set(id, await api(`/incidents/${id}`));
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, "error");
  }
  render("incident");
}

// --- rendering ---------------------------------------------------------------------------------

// What changed since the last frame: the map is cheap to redraw; a panel is rebuilt only when its
// data changed (drone telemetry, many times a second, touches the map alone).
const PANELS = ["alerts", "missions", "incidents", "leads", "docks"];
const PANELS_OF = { snapshot: ["missions", "docks"], dock: ["docks"], drone: [], mission: ["missions"],
  mission_event: ["missions"], alert: ["alerts"], incident: ["incidents"], lead: ["leads"] };
const dirtyPanels = new Set(PANELS);

function render(kind = null) {
  for (const name of kind === null ? PANELS : PANELS_OF[kind] ?? []) dirtyPanels.add(name);
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    draw();
  });
}

function draw() {
  const docks = [...state.docks.values()];
  map.setDocks(docks);
  map.setDrones([...state.drones.values()].map((d) => ({ ...d, heading_deg: state.headings.get(d.id) })));
  const active = [...state.missions.values()].filter(isActive);
  map.setPoints("incidents", [...state.incidents.values()].filter((i) => i.status !== "closed" || i.id === state.openIncident),
    "incident", (i) => `p${i.priority} st-${i.status}${i.id === state.openIncident ? " selected" : ""}`);
  map.setPoints("leads", [...state.leads.values()].filter((l) => !["rejected", "closed"].includes(l.status)), "lead", (l) => `lead-${l.status}`);
  map.setRoutes(active.map((m) => missionRoute(m, state.docks)).filter(Boolean));
  map.setPoints("targets", active, "target");
  const can = canDispatch();
  if (dirtyPanels.has("alerts")) $("count-alerts").textContent = renderAlerts($("panel-alerts"), state, can, actions) || "";
  if (dirtyPanels.has("missions")) $("count-missions").textContent = renderMissions($("panel-missions"), state, can, actions) || "";
  if (dirtyPanels.has("incidents")) $("count-incidents").textContent = renderIncidents($("panel-incidents"), state, actions) || "";
  if (dirtyPanels.has("leads")) $("count-leads").textContent = renderLeads($("panel-leads"), state, can, actions) || "";
  if (dirtyPanels.has("docks")) $("count-docks").textContent = `${renderDocks($("panel-docks"), state)}/${docks.length}`;
  dirtyPanels.clear();
}

function showTab(name) {
  tab = name;
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.dataset.panel !== name;
  if (name === "admin" && admin) admin.load();
}

// --- actions -----------------------------------------------------------------------------------

function setGotoMode(mission) {
  state.gotoMission = mission;
  document.body.classList.toggle("goto-mode", Boolean(mission));
  $("map-hint").textContent = mission ? `${t("goto_hint")} ${mission.id.slice(0, 8)}` : t("hint_launch");
}

async function pickGoto(mission, lon, lat) {
  setGotoMode(null);
  const body = document.createElement("div");
  body.textContent = `${t("launch_point")}: ${lon.toFixed(5)}, ${lat.toFixed(5)}`;
  const zone = keepoutAt(state.keepouts, lon, lat);
  if (zone) body.append(Object.assign(document.createElement("p"), { className: "warn keepout-warning", textContent: `${t("in_keepout")}: ${zone.properties.name ?? ""}` }));
  const ok = await confirmDialog(`${t("goto")} · ${mission.drone_id ?? mission.id.slice(0, 8)}`, body);
  map.showPick(null);
  if (!ok) return;
  try {
    await api(`/missions/${mission.id}/commands`, { method: "POST", body: { command: "goto", lon_deg: lon, lat_deg: lat } });
    toast(`${t("goto")}: ${t("sent")}`);
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, "error");
  }
}

async function pickPoint(lon, lat) {
  if (state.gotoMission) {
    await pickGoto(state.gotoMission, lon, lat);
    return;
  }
  const body = await launchPreviewBody(lon, lat, state.docks);
  const zone = keepoutAt(state.keepouts, lon, lat);
  if (zone) {
    const warning = document.createElement("p");
    warning.className = "warn keepout-warning";
    warning.textContent = `${t("in_keepout")}: ${zone.properties.name ?? zone.properties.id ?? ""}`;
    body.append(warning);
  }
  const ok = await confirmDialog(t("launch_title"), body);
  map.showPick(null);
  if (!ok) return;
  try {
    const mission = await api("/missions", { method: "POST", body: { lon_deg: lon, lat_deg: lat } });
    state.missions.set(mission.id, mission);
    toast(`${t("launched")}: ${mission.dock_id ?? ""} ${mission.eta_s ? `${t("eta")} ${Math.round(mission.eta_s)} s` : ""}`);
    showTab("missions");
    render();
  } catch (err) {
    toast(`${t("failed")}: ${err.message}`, "error");
  }
}

const actions = {
  async decideAlert(alert, approve) {
    try {
      await api(`/alerts/${alert.id}/decision`, { method: "POST", body: { approve, note: "" } });
      state.alerts.delete(alert.id);
      toast(t("sent"));
    } catch (err) {
      toast(`${t("failed")}: ${err.message}`, "error");
    }
    render();
  },
  async reviewLead(lead, approve) {
    try {
      const updated = await api(`/leads/${lead.id}/review`, { method: "POST", body: { approve, note: "" } });
      state.leads.set(updated.id, updated);
      toast(t("sent"));
    } catch (err) {
      toast(`${t("failed")}: ${err.message}`, "error");
    }
    render();
  },
  async command(mission, command) {
    if (command === "goto") {
      setGotoMode(state.gotoMission === mission ? null : mission);
      return;
    }
    let body = { command };
    if (command === "abort") {
      const reason = await confirmDialog(`${t("abort")} ${mission.id.slice(0, 8)}?`, "", t("abort_reason"));
      if (!reason) return;
      body.reason = reason;
    } else if (command === "speak") {
      body = await speakDialog(mission, state.incidents.get(mission.incident_id)?.type);
      if (!body) return;
    } else if (!(await confirmDialog(`${t(command)} ${mission.id.slice(0, 8)}?`, ""))) {
      return;
    }
    try {
      await api(`/missions/${mission.id}/commands`, { method: "POST", body });
      toast(`${t(command)}: ${t("sent")}`);
    } catch (err) {
      toast(`${t("failed")}: ${err.message}`, "error");
    }
  },
  liveView(droneId) {
    liveView.open(droneId);
  },
  // open (or close) an incident's card: its detail, and the map framing it with its missions and the nearest docks
  selectIncident(incident, open = true) {
    state.openIncident = open ? incident.id : null;
    if (open) {
      map.frame(incidentFramePoints(incident, state));
      loadIncident(incident.id);
    }
    render();
  },
  showMission(mission) {
    if (!state.missions.has(mission.id)) state.missions.set(mission.id, mission);
    showTab("missions");
    if (state.openMission !== mission.id) actions.toggleMission(mission);
  },
  toggleMission(mission) {
    state.openMission = state.openMission === mission.id ? null : mission.id;
    if (state.openMission) loadMission(mission.id);
    render();
  },
  // pictures need the token: fetched once each, kept as blob URLs
  async loadImage(img) {
    const url = img.dataset.src;
    img.removeAttribute("data-src");
    if (!imageCache.has(url)) {
      imageCache.set(url, fetch(url, { headers: { Authorization: `Bearer ${storedToken()}` } })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.statusText))))
        .then((blob) => URL.createObjectURL(blob))
        .catch(() => { imageCache.delete(url); return null; }));
    }
    const src = await imageCache.get(url);
    if (src) img.src = src;
    else img.alt = "snapshot unavailable";
  },
};

function onHover(kind, key, event) {
  const tip = $("tooltip");
  const lines = kind ? tooltipLines(state, kind, key) : null;
  if (!lines) {
    tip.hidden = true;
    return;
  }
  tip.replaceChildren(...lines.map((line) => Object.assign(document.createElement("div"), { textContent: line })));
  const box = $("map").getBoundingClientRect();
  tip.style.left = `${event.clientX - box.left + 14}px`;
  tip.style.top = `${event.clientY - box.top + 14}px`;
  tip.hidden = false;
}

// a click on a marker shows its row or card in the panels
function onSelect(kind, key) {
  if (kind === "drone") liveView.open(key);
  const missionOf = (droneId) => [...state.missions.values()].find((m) => isActive(m) && m.drone_id === droneId);
  const where = {
    dock: ["docks", key],
    lead: ["leads", key],
    target: ["missions", key],
    incident: ["incidents", key],
    drone: ["missions", missionOf(key)?.id],
  }[kind];
  if (!where || !where[1]) return;
  const [name, id] = where;
  showTab(name);
  if (name === "missions" && state.openMission !== id) actions.toggleMission({ id });
  if (name === "incidents" && state.incidents.has(id)) actions.selectIncident(state.incidents.get(id), true);
  requestAnimationFrame(() => {
    const row = document.querySelector(`#panel-${name} [data-id="${CSS.escape(id)}"]`);
    if (!row) return;
    row.scrollIntoView({ block: "nearest" });
    row.classList.add("flash");
    setTimeout(() => row.classList.remove("flash"), 1500);
  });
}

// --- start -------------------------------------------------------------------------------------

function init() {
  applyLabels();
  map = new DistrictMap($("map"), { onPick: pickPoint, onHover, onSelect });
  liveView = new LiveViewPanel({ onLead: (leadId) => onSelect("lead", leadId) });
  coverage = new CoverageView(map, $("coverage-summary"), state, (err) => toast(`coverage: ${err.message}`, "error"));
  $("lang").addEventListener("click", () => {
    setLang(currentLang() === "zh" ? "en" : "zh");
    coverage.renderSummary();
    if (admin) admin.render();
    render();
  });
  $("logout").addEventListener("click", logout);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.gotoMission) setGotoMode(null);
  });
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await login($("token").value.trim());
      $("login").close();
    } catch (err) {
      $("login-error").textContent = err instanceof ApiError && err.status === 401 ? `${t("login_bad")}: ${err.message}` : err.message;
    }
  });
  window.addEventListener("resize", () => map.view && map.setView(map.view));
  const token = storedToken();
  if (token) login(token).catch(() => showLogin());
  else showLogin();
}

init();
