// What a map marker's tooltip says: dock availability with its reasons, a drone's battery and
// height, a lead, an incident, the coverage's worst point.
import { t, tv } from "./i18n.js";

export function tooltipLines(state, kind, key) {
  let lines = [];
  if (kind === "dock") {
    const d = state.docks.get(key);
    if (!d) return null;
    lines = [`${d.id} ${d.name}`, d.availability.available ? t("available") : t("unavailable"),
      ...d.availability.reasons.map((r) => `• ${r.text}`), ...(d.availability.notes ?? []).map((n) => `· ${n}`)];
  } else if (kind === "drone") {
    const d = state.drones.get(key);
    if (!d?.state) return null;
    lines = [d.id, `${t("battery")} ${Math.round(d.state.battery_pct ?? 0)}% · ${Math.round(d.state.rel_alt_m ?? 0)} m · ${d.state.flight_mode}`];
  } else if (kind === "lead") {
    const l = state.leads.get(key);
    if (!l) return null;
    lines = [`${tv(l.class_name)} ${(l.confidence * 100).toFixed(0)}%`, tv(l.status)];
  } else if (kind === "incident") {
    const i = state.incidents.get(key);
    if (!i) return null;
    lines = [`${tv(i.type)} · ${t("priority")} ${i.priority}`, tv(i.status)];
  } else if (kind === "worst" && state.coverage) {
    lines = [`${t("worst")} ${state.coverage.worst_response_s === null ? t("never") : Math.round(state.coverage.worst_response_s) + " s"}`];
  } else return null;
  return lines;
}
