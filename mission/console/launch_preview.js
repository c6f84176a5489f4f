// The launch confirmation's body: the planner's dry-run choice for a clicked point
// (GET /missions/preview): dock, drone, ETA, whether the 5-minute promise holds, and the
// rejected docks nearest the point (the ones a dispatcher would expect) with the planner's reasons.
// Nothing is stored until the launch.
import { api } from "./api.js";
import { distanceM } from "./dialogs.js";
import { t, windText } from "./i18n.js";

const REJECTED_SHOWN = 4;

function row(dl, key, value, id) {
  const dt = document.createElement("dt");
  dt.textContent = key;
  const dd = document.createElement("dd");
  dd.textContent = value;
  if (id) dd.id = id;
  dl.append(dt, dd);
  return dd;
}

// docks: Map id -> dock (for names); returns the element to show in the confirm dialog
export async function launchPreviewBody(lon, lat, docks) {
  const body = document.createElement("div");
  body.id = "launch-preview";
  const dl = document.createElement("dl");
  body.append(dl);
  row(dl, t("launch_point"), `${lon.toFixed(5)}, ${lat.toFixed(5)}`);
  let decision;
  try {
    decision = await api(`/missions/preview?lon=${lon}&lat=${lat}`);
  } catch (err) {
    row(dl, t("launch_dock"), `${t("preview_failed")}: ${err.message}`, "preview-dock").className = "warn";
    return body;
  }
  if (!decision.dock_id) {
    row(dl, t("launch_dock"), t("preview_none"), "preview-dock").className = "warn";
  } else {
    const name = docks.get(decision.dock_id)?.name ?? "";
    const how = decision.airborne ? ` · ${t("preview_airborne")}` : "";
    row(dl, t("launch_dock"), `${decision.dock_id} ${name} · ${decision.drone_id ?? ""}${how}`, "preview-dock");
    row(dl, t("eta"), `${Math.round(decision.eta_s)} s`, "preview-eta");
  }
  const promise = row(
    dl,
    t("preview_promise"),
    decision.promise_breached
      ? `${t("preview_promise_broken")} (> ${Math.round(decision.target_s)} s)`
      : `${t("preview_promise_ok")} (≤ ${Math.round(decision.target_s)} s)`,
    "preview-promise",
  );
  promise.className = decision.promise_breached ? "warn" : "ok";
  promise.dataset.breached = String(decision.promise_breached);
  if (decision.wind_speed_mps > 0) row(dl, t("preview_wind"), windText(decision), "preview-wind");
  const away = (r) => {
    const d = docks.get(r.dock_id);
    return d ? distanceM(d.lon_deg, d.lat_deg, lon, lat) : Infinity;
  };
  const rejected = [...decision.rejected].sort((a, b) => away(a) - away(b));
  if (rejected.length) {
    const title = document.createElement("p");
    title.className = "muted small";
    title.textContent = `${t("preview_rejected")} (${rejected.length})`;
    const list = document.createElement("ul");
    list.id = "preview-rejected";
    list.className = "rejected";
    for (const r of rejected.slice(0, REJECTED_SHOWN)) {
      const li = document.createElement("li");
      li.dataset.dock = r.dock_id;
      li.textContent = `${r.dock_id}: ${r.reason}`;
      list.append(li);
    }
    body.append(title, list);
  }
  return body;
}
