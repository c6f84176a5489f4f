// The district map as SVG vector layers in a local equirectangular projection (metres east and
// north of the district's centre; y flipped for SVG). No tiles, nothing from the internet.
import { t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const EARTH_M = 6371008.8;
// landmarks over the routes (a route line runs under a label's halo), under every marker
const LAYERS = ["district", "keepout", "coverage", "routes", "landmarks", "targets", "incidents", "leads", "docks", "drones", "pick"];
// markers a landmark's label keeps clear of (a drone passes by: its label would hop about)
const LABEL_OBSTACLES = ["coverage", "targets", "incidents", "leads", "docks"];
// where a landmark's label may go around its dot (marker units: 12 px type, a 4 px dot), in order:
// [x, y of the baseline, text-anchor]
const LABEL_SPOTS = [
  [7, 4, "start"], [-7, 4, "end"], [0, -8, "middle"], [0, 16, "middle"],
  [6, -6, "start"], [-6, -6, "end"], [6, 15, "start"], [-6, 15, "end"],
  [24, 4, "start"], [-24, 4, "end"], [0, -26, "middle"], [0, 34, "middle"],
];
// opening an incident never zooms closer than this (metres across), nor wheel zooming than MIN_VIEW_M
export const MIN_FRAME_M = 4000;
const MIN_VIEW_M = 300;
const FRAME_PAD_PX = 56;
// measured boxes of markers and labels, in their own units (see localBox, labelSize)
const BOXES = new WeakMap();

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// The line a mission flies: the planner's route around keep-out zones when the mission has one
// (route: [[lon, lat], ...]), else straight from its dock to the target (null: no dock known).
export function missionRoute(mission, docks) {
  if (Array.isArray(mission.route) && mission.route.length >= 2) return { id: mission.id, points: mission.route, planned: true };
  const dock = docks.get(mission.dock_id);
  if (!dock) return null;
  return { id: mission.id, points: [[dock.lon_deg, dock.lat_deg], [mission.lon_deg, mission.lat_deg]], planned: false };
}

export class DistrictMap {
  constructor(svg, { onPick, onHover, onSelect }) {
    this.svg = svg;
    this.onPick = onPick;
    this.onSelect = onSelect;
    this.onHover = onHover;
    this.layers = {};
    for (const name of LAYERS) this.layers[name] = el("g", { class: `layer layer-${name}`, "data-layer": name }, svg);
    this.origin = null;
    this.view = null;
    this.pickEnabled = false;
    svg.addEventListener("click", (event) => this.click(event));
    svg.addEventListener("wheel", (event) => this.zoom(event), { passive: false });
    this.dragFrom = null;
    svg.addEventListener("pointerdown", (e) => { this.dragFrom = { x: e.clientX, y: e.clientY, view: { ...this.view }, moved: false }; });
    svg.addEventListener("pointermove", (e) => this.drag(e));
    svg.addEventListener("pointerup", () => { setTimeout(() => { this.dragFrom = null; }, 0); });
    this.labelsQueued = false;
    this.addControls(svg.parentElement);
  }

  // zoom in, zoom out and back to the whole district, at the map's top right
  addControls(parent) {
    if (!parent) return;
    const box = document.createElement("div");
    box.className = "map-controls";
    const button = (key, text, onClick) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.control = key;
      b.textContent = text;
      b.setAttribute("aria-label", t(key));
      b.addEventListener("mouseenter", () => { b.title = t(key); }); // in the language of the moment
      b.addEventListener("click", onClick);
      return b;
    };
    const fit = button("map_fit", t("map_fit"), () => this.fitDistrict());
    fit.dataset.i18n = "map_fit";
    box.append(button("map_zoom_in", "+", () => this.zoomBy(0.5)), button("map_zoom_out", "−", () => this.zoomBy(2)), fit);
    parent.appendChild(box);
  }

  // lon/lat (degrees) -> [x, y] in map units (metres, y down)
  project(lon, lat) {
    const [lon0, lat0] = this.origin;
    const rad = Math.PI / 180;
    return [(lon - lon0) * rad * EARTH_M * Math.cos(lat0 * rad), -(lat - lat0) * rad * EARTH_M];
  }

  unproject(x, y) {
    const [lon0, lat0] = this.origin;
    const rad = Math.PI / 180;
    return [lon0 + x / (rad * EARTH_M * Math.cos(lat0 * rad)), lat0 - y / (rad * EARTH_M)];
  }

  ringPath(ring) {
    return ring.map(([lon, lat], i) => {
      const [x, y] = this.project(lon, lat);
      return `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    }).join("") + "Z";
  }

  geometryPath(geometry) {
    if (!geometry) return "";
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates
      : geometry.type === "GeometryCollection" ? geometry.geometries.flatMap((g) => g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [])
      : [];
    return polygons.map((rings) => rings.map((r) => this.ringPath(r)).join("")).join("");
  }

  // The district, keep-out zones and landmarks (GeoJSON from GET /api/v1/district).
  setGeography(collection) {
    const district = collection.features.filter((f) => f.properties.role === "district");
    const coords = district.flatMap((f) => (f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates.flat(1)));
    const lons = coords.map((c) => c[0]);
    const lats = coords.map((c) => c[1]);
    this.origin = [(Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
    const [x0, y0] = this.project(Math.min(...lons), Math.max(...lats));
    const [x1, y1] = this.project(Math.max(...lons), Math.min(...lats));
    const pad = 0.04 * Math.max(x1 - x0, y1 - y0);
    this.home = { x: x0 - pad, y: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad };
    this.setView({ ...this.home });
    for (const name of ["district", "keepout", "landmarks"]) this.layers[name].replaceChildren();
    for (const f of collection.features) {
      const role = f.properties.role;
      if (role === "district") el("path", { d: this.geometryPath(f.geometry), class: "district" }, this.layers.district);
      else if (role === "keepout") {
        const path = el("path", { d: this.geometryPath(f.geometry), class: "keepout", "data-id": f.properties.id ?? "" }, this.layers.keepout);
        el("title", {}, path).textContent = f.properties.name ?? f.properties.id ?? "keep-out";
      } else if (role === "landmark") {
        const [x, y] = this.project(...f.geometry.coordinates);
        const g = el("g", { class: f.properties.water ? "landmark scaled water" : "landmark scaled", "data-x": x, "data-y": y }, this.layers.landmarks);
        el("circle", { class: "lm-dot", r: 4 }, g);
        el("title", {}, g).textContent = f.properties.name;
        const label = el("text", { class: "lm-label", x: 7, y: 4 }, g);
        label.textContent = f.properties.name;
      }
    }
    this.redrawScaled();
  }

  setView(view) {
    this.view = view;
    this.svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    // markers keep their on-screen size whatever the zoom: one "px" in map units (the viewBox is
    // fitted whole into the element: the tighter of its width and height sets the scale)
    // markers follow the root font size, so a wall screen (larger rem) gets larger markers
    const px = this.rem() / this.screenPxPerUnit(view);
    this.svg.style.setProperty("--px", px);
    this.px = px;
    this.redrawScaled();
  }

  rem() {
    return parseFloat(getComputedStyle(document.documentElement).fontSize) / 15;
  }

  screenSize() {
    return [Math.max(this.svg.clientWidth || 800, 1), Math.max(this.svg.clientHeight || 600, 1)];
  }

  screenPxPerUnit(view) {
    const [w, h] = this.screenSize();
    return Math.min(w / view.w, h / view.h);
  }

  // the view the element shows around a centre, `w` map units across (its height follows the element's shape)
  viewAround(cx, cy, w) {
    const [sw, sh] = this.screenSize();
    const h = (w * sh) / sw;
    return { x: cx - w / 2, y: cy - h / 2, w, h };
  }

  // the whole district (as at sign-in)
  fitDistrict() {
    if (this.home) this.setView({ ...this.home });
  }

  // zoom about the view's centre: factor < 1 zooms in
  zoomBy(factor) {
    if (!this.view) return;
    const [sw, sh] = this.screenSize();
    const across = Math.max(this.view.w, (this.view.h * sw) / sh); // what the element shows
    const w = Math.max(MIN_VIEW_M, Math.min(across * factor, this.home.w * 2));
    this.setView(this.viewAround(this.view.x + this.view.w / 2, this.view.y + this.view.h / 2, w));
  }

  // Show every point ([lon, lat], ...) with a margin around them, at least minWidthM across and
  // at most the whole district (what an opened incident is framed with: see incidentFramePoints).
  frame(points, minWidthM = MIN_FRAME_M) {
    if (!this.view || !points.length) return;
    const xy = points.map(([lon, lat]) => this.project(lon, lat));
    const xs = xy.map((p) => p[0]);
    const ys = xy.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const [sw, sh] = this.screenSize();
    const pad = FRAME_PAD_PX * this.rem();
    // the margin is in screen pixels (markers and labels have a screen size): what is left of the
    // element for the points sets the scale
    const innerW = Math.max(sw - 2 * pad, sw / 2);
    const innerH = Math.max(sh - 2 * pad, sh / 2);
    const unitsPerPx = Math.max((x1 - x0) / innerW, (y1 - y0) / innerH, minWidthM / sw);
    const homeAcross = Math.max(this.home.w, (this.home.h * sw) / sh);
    const w = Math.min(unitsPerPx * sw, homeAcross);
    this.setView(this.viewAround((x0 + x1) / 2, (y0 + y1) / 2, w));
  }

  zoom(event) {
    if (!this.view) return;
    event.preventDefault();
    const [mx, my] = this.toMap(event);
    const f = event.deltaY < 0 ? 0.8 : 1.25;
    const w = Math.max(MIN_VIEW_M, Math.min(this.view.w * f, this.home.w * 2));
    const h = this.view.h * (w / this.view.w);
    this.setView({ x: mx - (mx - this.view.x) * (w / this.view.w), y: my - (my - this.view.y) * (h / this.view.h), w, h });
  }

  drag(event) {
    const from = this.dragFrom;
    if (!from || !(event.buttons & 1)) return;
    const dx = event.clientX - from.x;
    const dy = event.clientY - from.y;
    if (Math.abs(dx) + Math.abs(dy) < 4 && !from.moved) return;
    from.moved = true;
    const scale = from.view.w / this.svg.clientWidth;
    this.setView({ ...from.view, x: from.view.x - dx * scale, y: from.view.y - dy * scale });
  }

  toMap(event) {
    const pt = this.svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    const p = pt.matrixTransform(this.svg.getScreenCTM().inverse());
    return [p.x, p.y];
  }

  click(event) {
    if (!this.origin || (this.dragFrom && this.dragFrom.moved)) return;
    const target = event.target.closest("[data-kind]");
    if (target) {
      this.onSelect(target.dataset.kind, target.dataset.key);
      return;
    }
    if (!this.pickEnabled) return;
    const [x, y] = this.toMap(event);
    const [lon, lat] = this.unproject(x, y);
    this.showPick(lon, lat);
    this.onPick(lon, lat);
  }

  showPick(lon, lat) {
    this.layers.pick.replaceChildren();
    if (lon === null) return;
    const [x, y] = this.project(lon, lat);
    el("circle", { class: "pick", cx: x, cy: y, r: 9 * this.px }, this.layers.pick);
  }

  // A marker group at a position, scaled to a constant screen size.
  marker(layer, key, lon, lat, kind) {
    const [x, y] = this.project(lon, lat);
    let g = this.layers[layer].querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!g) {
      g = el("g", { "data-key": key, "data-kind": kind }, this.layers[layer]);
      g.addEventListener("mouseenter", (e) => this.onHover(kind, key, e));
      g.addEventListener("mousemove", (e) => this.onHover(kind, key, e));
      g.addEventListener("mouseleave", () => this.onHover(null));
    }
    g.dataset.x = x;
    g.dataset.y = y;
    g.setAttribute("transform", `translate(${x},${y}) scale(${this.px})`);
    return g;
  }

  redrawScaled() {
    for (const g of this.svg.querySelectorAll("[data-kind], .scaled")) {
      g.setAttribute("transform", `translate(${g.dataset.x},${g.dataset.y}) scale(${this.px})`);
    }
    this.queueLabels();
  }

  // Landmark labels are placed once the markers of a change are all drawn (one placement however
  // many layers the change touched).
  queueLabels() {
    if (this.labelsQueued) return;
    this.labelsQueued = true;
    queueMicrotask(() => {
      this.labelsQueued = false;
      this.placeLabels();
    });
  }

  // Each landmark's label goes to the first spot around its dot (right, left, above, below, the
  // corners, then further out) wholly on screen where it covers no marker (dock with its name,
  // incident, lead, target, the coverage's worst point), no landmark's dot and no label placed
  // before it; with no such spot it is hidden (the landmark's title still names it on hover).
  placeLabels() {
    const px = this.px;
    if (!px) return;
    const margin = 2 * px;
    const taken = [];
    for (const name of LABEL_OBSTACLES) {
      for (const g of this.layers[name].children) {
        if (g.dataset.x === undefined) continue;
        const b = this.localBox(g);
        if (b) taken.push(mapBox(g, b.x, b.y, b.width, b.height, px));
      }
    }
    const landmarks = [...this.layers.landmarks.children];
    for (const g of landmarks) taken.push(mapBox(g, -4, -4, 8, 8, px));
    const shown = this.shownBox();
    for (const g of landmarks) {
      const label = g.querySelector(".lm-label");
      const size = this.labelSize(label);
      if (!size) continue;
      const spots = LABEL_SPOTS.map(([sx, sy, anchor]) => {
        const left = anchor === "start" ? sx : anchor === "end" ? sx - size.w : sx - size.w / 2;
        return { sx, sy, anchor, box: mapBox(g, left, sy + size.top, size.w, size.bottom - size.top, px) };
      }).filter((spot) => !taken.some((o) => overlaps(spot.box, o, margin)));
      // wholly on screen (near the map's edge one side runs off it; a name cut there says nothing)
      const spot = spots.find((p) => inside(p.box, shown));
      if (spot) {
        label.setAttribute("x", spot.sx);
        label.setAttribute("y", spot.sy);
        label.setAttribute("text-anchor", spot.anchor);
        taken.push(spot.box);
      }
      label.classList.toggle("lm-off", !spot);
    }
  }

  // what the element shows, in map units (the viewBox, widened to the element's shape)
  shownBox() {
    const [sw, sh] = this.screenSize();
    const k = this.screenPxPerUnit(this.view);
    const cx = this.view.x + this.view.w / 2;
    const cy = this.view.y + this.view.h / 2;
    return { x0: cx - sw / k / 2, y0: cy - sh / k / 2, x1: cx + sw / k / 2, y1: cy + sh / k / 2 };
  }

  // a marker's box in its own units (cached: a marker's shape changes with its text alone)
  localBox(g) {
    const key = g.textContent;
    const cached = BOXES.get(g);
    if (cached && cached.key === key) return cached.box;
    const box = g.getBBox();
    if (!box.width) return null; // not laid out (yet)
    BOXES.set(g, { key, box: { x: box.x, y: box.y, width: box.width, height: box.height } });
    return BOXES.get(g).box;
  }

  // a label's width and its extent above (top < 0) and below its baseline, in marker units
  labelSize(label) {
    if (BOXES.has(label)) return BOXES.get(label);
    const box = label.getBBox();
    if (!box.width) return null;
    const y = parseFloat(label.getAttribute("y"));
    BOXES.set(label, { w: box.width, top: box.y - y, bottom: box.y + box.height - y });
    return BOXES.get(label);
  }

  // docks: [{id, name, lon_deg, lat_deg, availability: {available}}]
  setDocks(docks) {
    const keep = new Set();
    for (const d of docks) {
      keep.add(d.id);
      const g = this.marker("docks", d.id, d.lon_deg, d.lat_deg, "dock");
      const ok = d.availability.available;
      g.setAttribute("class", `dock ${ok ? "dock-ok" : "dock-no"}`);
      g.dataset.available = String(ok);
      if (!g.firstChild) {
        el("rect", { x: -9, y: -9, width: 18, height: 18, rx: 3 }, g);
        el("text", { class: "dock-label", x: 12, y: 4 }, g);
      }
      g.querySelector("text").textContent = d.id;
    }
    this.prune("docks", keep);
  }

  // drones in the air: heading arrow and a battery bar
  setDrones(drones) {
    const keep = new Set();
    for (const d of drones) {
      const s = d.state;
      if (!s || !s.in_air || s.lon_deg === null || s.lat_deg === null) continue;
      keep.add(d.id);
      const g = this.marker("drones", d.id, s.lon_deg, s.lat_deg, "drone");
      g.setAttribute("class", "drone");
      if (!g.firstChild) {
        el("path", { class: "drone-body", d: "M0,-11 L7,8 L0,4 L-7,8 Z" }, g);
        el("rect", { class: "bat-bg", x: -10, y: 12, width: 20, height: 4 }, g);
        el("rect", { class: "bat", x: -10, y: 12, width: 20, height: 4 }, g);
      }
      const heading = d.heading_deg ?? 0;
      g.firstChild.setAttribute("transform", `rotate(${heading})`);
      const pct = Math.max(0, Math.min(100, s.battery_pct ?? 0));
      const bar = g.querySelector(".bat");
      bar.setAttribute("width", (20 * pct) / 100);
      bar.setAttribute("class", pct < 30 ? "bat low" : "bat");
    }
    this.prune("drones", keep);
  }

  // simple point markers: incidents, leads, mission targets
  setPoints(layer, items, kind, classOf) {
    const keep = new Set();
    for (const item of items) {
      keep.add(item.id);
      const g = this.marker(layer, item.id, item.lon_deg, item.lat_deg, kind);
      g.setAttribute("class", `${kind} ${classOf ? classOf(item) : ""}`);
      if (!g.firstChild) {
        if (kind === "incident") el("path", { d: "M0,-10 L9,7 L-9,7 Z" }, g);
        else if (kind === "lead") el("circle", { r: 6 }, g);
        else el("path", { d: "M-6,-6 L6,6 M6,-6 L-6,6" }, g);
      }
    }
    this.prune(layer, keep);
  }

  // mission routes, dashed: [{id, points: [[lon, lat], ...], planned}] (see missionRoute)
  setRoutes(routes) {
    const layer = this.layers.routes;
    layer.replaceChildren();
    for (const r of routes) {
      const xy = r.points.map(([lon, lat]) => this.project(lon, lat));
      if (r.planned) {
        const points = xy.map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" ");
        el("polyline", { points, class: "route planned", "data-mission": r.id }, layer);
      } else {
        const [[x1, y1], [x2, y2]] = xy;
        el("line", { x1, y1, x2, y2, class: "route straight", "data-mission": r.id }, layer);
      }
    }
  }

  // the coverage layer: uncovered area and the worst point
  setCoverage(coverage) {
    const layer = this.layers.coverage;
    layer.replaceChildren();
    if (coverage.uncovered_geojson) {
      el("path", { d: this.geometryPath(coverage.uncovered_geojson), class: "uncovered", "fill-rule": "evenodd" }, layer);
    }
    layer.dataset.uncoveredKm2 = coverage.uncovered_area_km2.toFixed(3);
    if (coverage.worst_point_lon_lat) {
      const [lon, lat] = coverage.worst_point_lon_lat;
      const g = this.marker("coverage", "worst", lon, lat, "worst");
      g.setAttribute("class", "worst");
      el("circle", { r: 7 }, g);
      el("path", { d: "M-10,0 L10,0 M0,-10 L0,10" }, g);
    }
    this.queueLabels();
  }

  prune(layer, keep) {
    this.queueLabels();
    for (const g of [...this.layers[layer].children]) if (!keep.has(g.dataset.key)) g.remove();
  }
}

// a box in map units of a marker group's local box (its position and scale)
function mapBox(g, x, y, w, h, px) {
  const gx = parseFloat(g.dataset.x);
  const gy = parseFloat(g.dataset.y);
  return { x0: gx + x * px, y0: gy + y * px, x1: gx + (x + w) * px, y1: gy + (y + h) * px };
}

function inside(a, b) {
  return a.x0 >= b.x0 && a.x1 <= b.x1 && a.y0 >= b.y0 && a.y1 <= b.y1;
}

function overlaps(a, b, margin) {
  return a.x0 < b.x1 + margin && b.x0 < a.x1 + margin && a.y0 < b.y1 + margin && b.y0 < a.y1 + margin;
}
