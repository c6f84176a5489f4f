// The incidents panel: open incidents (most urgent first), then those closed in the last day; a
// click opens one (GET /incidents/{id}: the alerts that joined it, its missions and leads) and
// frames it on the map with its missions and the nearest docks (incidentFramePoints).
import { fmtWhen, h, isActive } from "./panels.js";
import { t, tv } from "./i18n.js";
import { missionRoute } from "./map.js";

const RECENT_MS = 24 * 3600 * 1000;
// the docks shown around an opened incident: the nearest this many that can take off now (topped
// up with the nearest others when fewer can)
export const FRAME_DOCKS = 3;

// What the map frames when an incident is opened ([lon, lat] points): the incident; each of its
// active missions' dock, route, target and drone in the air; the nearest docks (FRAME_DOCKS).
export function incidentFramePoints(incident, state, nearest = FRAME_DOCKS) {
  const points = [[incident.lon_deg, incident.lat_deg]];
  for (const m of state.missions.values()) {
    if (m.incident_id !== incident.id || !isActive(m)) continue;
    const route = missionRoute(m, state.docks);
    if (route) points.push(...route.points);
    points.push([m.lon_deg, m.lat_deg]);
    const drone = state.drones.get(m.drone_id)?.state;
    if (drone && drone.in_air && drone.lon_deg !== null && drone.lat_deg !== null) points.push([drone.lon_deg, drone.lat_deg]);
  }
  const cos = Math.cos((incident.lat_deg * Math.PI) / 180);
  const away = (d) => Math.hypot((d.lon_deg - incident.lon_deg) * cos, d.lat_deg - incident.lat_deg);
  const docks = [...state.docks.values()].sort((a, b) => away(a) - away(b));
  const ready = docks.filter((d) => d.availability?.available);
  const shown = [...ready, ...docks.filter((d) => !d.availability?.available)].slice(0, nearest);
  points.push(...shown.map((d) => [d.lon_deg, d.lat_deg]));
  return points;
}

// open ones by priority then newest change; closed ones newest first, only the last day's
export function incidentsShown(state, nowMs = Date.now()) {
  const all = [...state.incidents.values()];
  const open = all.filter((i) => i.status !== "closed");
  open.sort((a, b) => a.priority - b.priority || b.updated_at.localeCompare(a.updated_at));
  const closed = all.filter((i) => i.status === "closed" && nowMs - new Date(i.closed_at ?? i.updated_at).getTime() < RECENT_MS);
  closed.sort((a, b) => (b.closed_at ?? "").localeCompare(a.closed_at ?? ""));
  return [...open, ...closed];
}

export function renderIncidents(root, state, act) {
  const shown = incidentsShown(state);
  root.replaceChildren(
    ...(shown.length ? shown.map((i) => {
      const open = state.openIncident === i.id;
      const detail = open ? state.incidentDetails.get(i.id) : null;
      return h("article", { class: `card incident-card p${i.priority} st-${i.status}${open ? " open" : ""}`, dataset: { id: i.id } },
        h("header", { onclick: () => act.selectIncident(i, !open) },
          h("b", {}, tv(i.type)), " ",
          h("span", { class: `state st-${i.status}` }, tv(i.status)),
          h("span", { class: "muted" }, ` ${t("priority")} ${i.priority} · ${fmtWhen(i.opened_at)}`)),
        h("p", { class: "muted small" }, `${i.lon_deg.toFixed(5)}, ${i.lat_deg.toFixed(5)}${i.closed_at ? ` · ${t("closed_at")} ${fmtWhen(i.closed_at)}` : ""}`),
        detail ? incidentDetail(detail, act) : open ? h("p", { class: "muted small" }, t("loading")) : null,
      );
    }) : [h("p", { class: "empty" }, t("no_incidents"))]),
  );
  return shown.filter((i) => i.status !== "closed").length;
}

function incidentDetail(detail, act) {
  const { alerts, missions, leads } = detail;
  return h("div", { class: "detail" },
    h("p", { class: "incident-alerts" }, `${alerts.length} ${t(alerts.length === 1 ? "alert_joined" : "alerts_joined")}`,
      alerts.length ? h("span", { class: "muted" }, ` (${[...new Set(alerts.map((a) => a.source))].join(", ")})`) : null),
    h("h4", {}, `${t("tab_missions")} (${missions.length})`),
    missions.length ? h("ul", { class: "incident-missions" }, missions.map((m) => h("li", { dataset: { id: m.id } },
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); act.showMission(m); } }, m.id.slice(0, 8)), " ",
      h("span", { class: `state st-${m.state}` }, tv(m.state)),
      h("span", { class: "muted" }, ` ${t("dock")} ${m.dock_id ?? "–"} · ${m.drone_id ?? ""}`)))) : h("p", { class: "muted small" }, "–"),
    h("h4", {}, `${t("tab_leads")} (${leads.length})`),
    leads.length ? h("ul", { class: "incident-leads" }, leads.map((l) => h("li", { dataset: { id: l.id } },
      h("b", {}, tv(l.class_name)), ` ${(l.confidence * 100).toFixed(0)}% · `,
      h("span", { class: "status", "data-status": l.status }, tv(l.status))))) : h("p", { class: "muted small" }, "–"),
  );
}
