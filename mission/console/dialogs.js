// Dialogs and small geometry helpers of the console: the confirmation dialog (optionally asking
// for a text), point-in-keep-out, straight-line distance and heading on lon/lat.

const $ = (id) => document.getElementById(id);

export function confirmDialog(title, body, withInput = null) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  const content = $("confirm-body");
  content.replaceChildren();
  if (typeof body === "string") content.textContent = body;
  else content.append(body);
  let input = null;
  if (withInput) {
    input = document.createElement("input");
    input.id = "confirm-input";
    input.placeholder = withInput;
    input.required = true;
    const label = document.createElement("label");
    label.append(withInput, input);
    content.append(label);
  }
  // Enter in a text field confirms (the form's first button, the default, is Cancel); Esc cancels
  // whatever the dialog answered last time
  dialog.querySelector("form").onkeydown = (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT" && !event.isComposing) {
      event.preventDefault();
      dialog.close("ok");
    }
  };
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? (input ? input.value.trim() || null : true) : null);
    }, { once: true });
  });
}

// ray casting on lon/lat: fine at district scale
function inRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function keepoutAt(keepouts, lon, lat) {
  for (const f of keepouts ?? []) {
    const polygons = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
    for (const rings of polygons) {
      if (inRing(lon, lat, rings[0]) && !rings.slice(1).some((hole) => inRing(lon, lat, hole))) return f;
    }
  }
  return null;
}

export function distanceM(lon0, lat0, lon1, lat1) {
  const rad = Math.PI / 180;
  const x = (lon1 - lon0) * rad * Math.cos(((lat0 + lat1) / 2) * rad);
  const y = (lat1 - lat0) * rad;
  return Math.hypot(x, y) * 6371008.8;
}


// heading from the last two positions (the telemetry carries none)
export function headingDeg(before, after) {
  const a = before?.state;
  const b = after.state;
  if (!a || !b || a.lon_deg === null || b.lon_deg === null) return null;
  const dx = (b.lon_deg - a.lon_deg) * Math.cos((b.lat_deg * Math.PI) / 180);
  const dy = b.lat_deg - a.lat_deg;
  if (Math.hypot(dx, dy) < 1e-7) return null;
  return (Math.atan2(dx, dy) * 180) / Math.PI;
}
