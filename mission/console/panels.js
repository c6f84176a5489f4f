// The side panels: alerts awaiting approval, missions (timeline, dispatch reasons, commands),
// leads (snapshot, class, confidence, position, approve/reject) and docks (weather, battery).
import { t, tv, windText } from "./i18n.js";

const ACTIVE = new Set(["requested", "planned", "launching", "en_route", "on_scene", "supervising", "returning", "landed"]);

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const fmtTime = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
// the time alone for today's moments, else the date too
export function fmtWhen(iso) {
  if (!iso) return "–";
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? at.toLocaleTimeString() : at.toLocaleString();
}
const fmtPos = (lon, lat) => `${lon.toFixed(5)}, ${lat.toFixed(5)}`;
const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v)}%`);

export function isActive(mission) {
  return ACTIVE.has(mission.state);
}

export function renderAlerts(root, state, can, act) {
  const pending = [...state.alerts.values()].filter((a) => a.status === "pending_approval");
  pending.sort((a, b) => a.priority - b.priority || a.received_at.localeCompare(b.received_at));
  root.replaceChildren(
    ...(pending.length ? pending.map((a) => h("article", { class: "card alert", dataset: { id: a.id } },
      h("header", {}, h("b", {}, tv(a.type)), h("span", { class: "muted" }, ` ${t("priority")} ${a.priority} · ${a.source} · ${fmtTime(a.received_at)}`)),
      a.description ? h("p", {}, a.description) : null,
      h("p", { class: "muted" }, fmtPos(a.lon_deg, a.lat_deg)),
      can ? h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", "data-action": "approve-alert", onclick: () => act.decideAlert(a, true) }, t("approve")),
        h("button", { type: "button", "data-action": "reject-alert", onclick: () => act.decideAlert(a, false) }, t("reject"))) : null,
    )) : [h("p", { class: "empty" }, t("no_alerts"))]),
  );
  return pending.length;
}

export function renderMissions(root, state, can, act) {
  const missions = [...state.missions.values()].filter(isActive);
  missions.sort((a, b) => b.created_at.localeCompare(a.created_at));
  root.replaceChildren(
    ...(missions.length ? missions.map((m) => {
      const detail = state.missionDetails.get(m.id);
      const open = state.openMission === m.id;
      return h("article", { class: `card mission${open ? " open" : ""}`, dataset: { id: m.id } },
        h("header", { onclick: () => act.toggleMission(m) },
          h("b", {}, m.id.slice(0, 8)), " ",
          h("span", { class: `state st-${m.state}` }, tv(m.state)),
          h("span", { class: "muted" }, ` ${t("dock")} ${m.dock_id ?? "–"} · ${t("eta")} ${m.eta_s ? Math.round(m.eta_s) + " s" : "–"}`),
          m.promise_breached ? h("span", { class: "warn" }, ` ${t("promise_breached")}`) : null),
        m.drone_id ? h("div", { class: "actions" },
          h("button", { type: "button", "data-action": "live-view", onclick: () => act.liveView(m.drone_id) }, t("live_camera"))) : null,
        can ? h("div", { class: "actions" },
          h("button", { type: "button", "data-action": "hold", onclick: () => act.command(m, "hold") }, t("hold")),
          h("button", { type: "button", "data-action": "goto", title: t("goto_hint"), onclick: () => act.command(m, "goto") }, t("goto")),
          h("button", { type: "button", "data-action": "return", onclick: () => act.command(m, "return") }, t("return")),
          h("button", { type: "button", "data-action": "speak", onclick: () => act.command(m, "speak") }, t("speak")),
          h("button", { type: "button", class: "danger", "data-action": "abort", onclick: () => act.command(m, "abort") }, t("abort"))) : null,
        open && detail ? missionDetail(detail) : null,
      );
    }) : [h("p", { class: "empty" }, t("no_missions"))]),
  );
  return missions.length;
}

function missionDetail(detail) {
  const d = detail.decision;
  return h("div", { class: "detail" },
    d ? h("div", {},
      h("h4", {}, t("reasons")),
      h("p", {}, `${t("dock")} ${d.dock_id ?? "–"} · ${t("eta")} ${d.eta_s ? Math.round(d.eta_s) : "–"} s / ${Math.round(d.target_s)} s · ${t("wind")} ${windText(d)}`),
      d.rejected.length ? h("details", {}, h("summary", {}, `${t("rejected_docks")} (${d.rejected.length})`),
        h("ul", { class: "rejected" }, d.rejected.map((r) => h("li", {}, h("b", {}, r.dock_id), ` ${r.reason}`)))) : null) : null,
    h("h4", {}, t("timeline")),
    h("ol", { class: "timeline" }, detail.events.map((e) => h("li", {},
      h("span", { class: "muted" }, fmtTime(e.at)), " ",
      timelineEntry(e),
      e.actor ? h("span", { class: "muted" }, ` (${e.actor})`) : null))),
  );
}

// a transition shows "from → to"; anything else what happened (an event, an operator's command, a
// stored route with its legs, a payload task, a note), not a "state → same state"
function timelineEntry(e) {
  if (e.kind === "state" && e.to_state) return `${e.from_state ? tv(e.from_state) : "·"} → ${tv(e.to_state)}`;
  const what = (e.data && (e.data.command || e.data.event)) || e.kind;
  if (e.kind === "route" && e.data && Array.isArray(e.data.points)) {
    return `${tv("route")} → ${tv(e.data.to ?? "")} (${Math.max(e.data.points.length - 1, 1)} ${t("legs")})`;
  }
  return e.kind === "command" || e.kind === "event" ? tv(what) : `${tv(e.kind)}${what !== e.kind ? ": " + tv(what) : ""}`;
}

export function renderLeads(root, state, can, act) {
  const leads = [...state.leads.values()];
  leads.sort((a, b) => (a.status === "pending_review" ? 0 : 1) - (b.status === "pending_review" ? 0 : 1) || b.detected_at.localeCompare(a.detected_at));
  root.replaceChildren(
    ...(leads.length ? leads.slice(0, 100).map((l) => h("article", { class: `card lead lead-${l.status}`, dataset: { id: l.id } },
      l.snapshot_url ? h("img", { class: "snapshot", alt: l.class_name, "data-src": l.snapshot_url }) : null,
      h("div", {},
        h("header", {}, h("b", {}, tv(l.class_name)), ` ${t("confidence")} ${(l.confidence * 100).toFixed(0)}%`),
        h("p", { class: "muted" }, `${fmtPos(l.lon_deg, l.lat_deg)} ±${Math.round(l.uncertainty_m)} m · ${l.drone_id} · ${fmtTime(l.detected_at)}`),
        h("p", {}, h("span", { class: "status", "data-status": l.status }, tv(l.status))),
        can && l.status === "pending_review" ? h("div", { class: "actions" },
          h("button", { type: "button", class: "primary", "data-action": "approve-lead", onclick: () => act.reviewLead(l, true) }, t("approve")),
          h("button", { type: "button", "data-action": "reject-lead", onclick: () => act.reviewLead(l, false) }, t("reject"))) : null),
    )) : [h("p", { class: "empty" }, t("no_leads"))]),
  );
  for (const img of root.querySelectorAll("img[data-src]")) act.loadImage(img);
  return leads.filter((l) => l.status === "pending_review").length;
}

export function renderDocks(root, state) {
  const docks = [...state.docks.values()];
  root.replaceChildren(h("table", { class: "docks" },
    h("thead", {}, h("tr", {}, ["", t("dock"), t("state"), t("battery"), t("wind"), t("rain"), t("temp")].map((c) => h("th", {}, c)))),
    h("tbody", {}, docks.map((d) => {
      const s = d.state;
      return h("tr", { class: d.availability.available ? "ok" : "no", dataset: { id: d.id }, title: d.availability.summary },
        h("td", {}, h("i", { class: `dot ${d.availability.available ? "dock-ok" : "dock-no"}` })),
        h("td", {}, h("b", {}, d.id), h("div", { class: "muted small" }, d.name)),
        h("td", {}, s ? tv(s.activity) : "–", d.availability.available ? null : h("div", { class: "why small" }, d.availability.reasons.map((r) => r.text).join("; "))),
        h("td", {}, pct(d.availability.battery_pct ?? s?.battery_pct)),
        h("td", {}, s && s.wind_mps !== null ? `${s.wind_mps.toFixed(1)} m/s` : "–"),
        h("td", {}, s && s.rain_level !== null ? String(s.rain_level) : "–"),
        h("td", {}, s && s.temperature_c !== null ? `${Math.round(s.temperature_c)} °C` : "–"));
    }))));
  return docks.filter((d) => d.availability.available).length;
}
