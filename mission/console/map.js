// The district map as SVG vector layers in a local equirectangular projection (metres east and
// north of the district's centre; y flipped for SVG). No tiles, nothing from the internet.
const NS = "http://www.w3.org/2000/svg";
const EARTH_M = 6371008.8;
const LAYERS = ["district", "keepout", "coverage", "landmarks", "routes", "targets", "incidents", "leads", "docks", "drones", "pick"];

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
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
        const label = el("text", { class: "lm-label", x: 7, y: 4 }, g);
        label.textContent = f.properties.name;
      }
    }
    this.redrawScaled();
  }

  setView(view) {
    this.view = view;
    this.svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    // markers keep their on-screen size whatever the zoom: one "px" in map units
    // markers follow the root font size, so a wall screen (larger rem) gets larger markers
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) / 15;
    const px = (rem * view.w) / Math.max(this.svg.clientWidth || 800, 1);
    this.svg.style.setProperty("--px", px);
    this.px = px;
    this.redrawScaled();
  }

  zoom(event) {
    if (!this.view) return;
    event.preventDefault();
    const [mx, my] = this.toMap(event);
    const f = event.deltaY < 0 ? 0.8 : 1.25;
    const w = Math.min(this.view.w * f, this.home.w * 2);
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

  // mission routes: dock -> target, dashed
  setRoutes(routes) {
    const layer = this.layers.routes;
    layer.replaceChildren();
    for (const r of routes) {
      const [x0, y0] = this.project(r.from[0], r.from[1]);
      const [x1, y1] = this.project(r.to[0], r.to[1]);
      el("line", { x1: x0, y1: y0, x2: x1, y2: y1, class: "route" }, layer);
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
  }

  prune(layer, keep) {
    for (const g of [...this.layers[layer].children]) if (!keep.has(g.dataset.key)) g.remove();
  }
}
