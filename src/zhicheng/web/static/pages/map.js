// The one map (一张图): MapLibre (vendored, offline) over the city's own vector tiles (/ogc/tiles), a layer list with
// toggles, identify through OGC API Features (masked by policy), address search (/api/v1/geo/geocode) and the cursor's
// coordinates in CGCS2000 and GCJ-02 (/api/v1/geo/convert). Chinese labels are drawn by the browser's own fonts
// (localIdeographFontFamily); the glyph URL answers empty ranges, so no glyph server or internet is needed.
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("onemap-config").textContent);
const L = config.labels;
const el = document.getElementById("onemap");
const origin = window.location.origin;
const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
const FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const polygon = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
const line = ["match", ["geometry-type"], ["LineString", "MultiLineString"], true, false];

const style = {
  version: 8,
  glyphs: origin + "/geo/map/glyphs/{fontstack}/{range}.pbf",
  sources: {
    basemap: {type: "vector", tiles: [origin + "/ogc/tiles/tiles/WebMercatorQuad/{z}/{y}/{x}"], minzoom: 0, maxzoom: 16},
  },
  layers: [
    {id: "bg", type: "background", paint: {"background-color": "#f8fafc"}},
    {id: "water-fill", type: "fill", source: "basemap", "source-layer": "water", filter: polygon, paint: {"fill-color": "#bfdbfe"}},
    {id: "water-line", type: "line", source: "basemap", "source-layer": "water", filter: line, paint: {"line-color": "#60a5fa", "line-width": 2}},
    {id: "boundaries-fill", type: "fill", source: "basemap", "source-layer": "boundaries", paint: {"fill-color": "#e2e8f0", "fill-opacity": 0.35}},
    {id: "boundaries-line", type: "line", source: "basemap", "source-layer": "boundaries", paint: {"line-color": "#64748b", "line-width": 0.8}},
    {id: "districts-line", type: "line", source: "basemap", "source-layer": "districts", paint: {"line-color": "#475569", "line-width": 2}},
    {id: "grids-line", type: "line", source: "basemap", "source-layer": "grids", minzoom: 13, paint: {"line-color": "#94a3b8", "line-width": 0.5, "line-dasharray": [2, 2]}},
    {id: "roads-line", type: "line", source: "basemap", "source-layer": "roads", paint: {"line-color": "#f59e0b", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 16, 4]}},
    {id: "boundaries-label", type: "symbol", source: "basemap", "source-layer": "boundaries", minzoom: 11,
     layout: {"text-field": ["coalesce", ["get", "name"], ["get", "mc"], ""], "text-font": ["Noto Sans Regular"], "text-size": 12},
     paint: {"text-color": "#334155", "text-halo-color": "#fff", "text-halo-width": 1.2}},
    {id: "districts-label", type: "symbol", source: "basemap", "source-layer": "districts", maxzoom: 11,
     layout: {"text-field": ["coalesce", ["get", "district_name"], ["get", "name"], ""], "text-font": ["Noto Sans Regular"], "text-size": 14},
     paint: {"text-color": "#1e293b", "text-halo-color": "#fff", "text-halo-width": 1.5}},
  ],
};

const map = new maplibregl.Map({
  container: el, style, bounds: config.bounds, fitBoundsOptions: {padding: 20}, attributionControl: false,
  localIdeographFontFamily: FONT, maxZoom: 18, 
  canvasContextAttributes: {preserveDrawingBuffer: true},  // PNG export reads the canvas back
});
window.onemap = map;  // the browser test asks it what it rendered
map.addControl(new maplibregl.NavigationControl({showCompass: false}));
map.addControl(new maplibregl.ScaleControl({unit: "metric"}));
map.addControl(new maplibregl.AttributionControl({compact: true, customAttribution: "智城 / zhicheng"}));

// -- overlays: one vector source per collection, drawn by its geometry kind ----------------------------------------
const byId = Object.fromEntries(config.layers.map((l) => [l.id, l]));
function overlayIds(l) { return l.kind === "polygon" ? [`ov-${l.id}-fill`, `ov-${l.id}-line`] : [`ov-${l.id}-${l.kind}`]; }
function addOverlay(l) {
  const src = `ov-${l.id}`;
  if (!map.getSource(src)) {
    map.addSource(src, {type: "vector", tiles: [`${origin}/ogc/tiles/collections/${encodeURIComponent(l.id)}/tiles/WebMercatorQuad/{z}/{y}/{x}`], maxzoom: 16});
  }
  const common = {source: src, "source-layer": l.id, metadata: {collection: l.id}};
  if (l.kind === "polygon") {
    map.addLayer({id: `ov-${l.id}-fill`, type: "fill", ...common, paint: {"fill-color": l.colour, "fill-opacity": 0.18}});
    map.addLayer({id: `ov-${l.id}-line`, type: "line", ...common, paint: {"line-color": l.colour, "line-width": 1}});
  } else if (l.kind === "line") {
    map.addLayer({id: `ov-${l.id}-line`, type: "line", ...common, paint: {"line-color": l.colour, "line-width": 2}});
  } else {
    map.addLayer({id: `ov-${l.id}-point`, type: "circle", ...common,
      paint: {"circle-color": l.colour, "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1}});
  }
}
function toggle(id, on) {
  const l = byId[id];
  if (!l) return;
  if (on) { if (!map.getLayer(overlayIds(l)[0])) addOverlay(l); }
  else overlayIds(l).forEach((lid) => { if (map.getLayer(lid)) map.removeLayer(lid); });
}
document.querySelectorAll("#onemap-layers input[type=checkbox]").forEach((box) => {
  box.addEventListener("change", () => toggle(box.dataset.layer, box.checked));
});

// -- identify: the feature's attributes from OGC API Features (the server masks them) ------------------------------
const body = document.getElementById("onemap-identify-body");
function showTable(title, props) {
  body.textContent = "";
  const h = document.createElement("p");
  h.textContent = title;
  body.appendChild(h);
  const table = document.createElement("table");
  for (const [k, v] of Object.entries(props || {})) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    tr.appendChild(th);
    tr.insertCell().textContent = v === null || v === undefined ? "—" : String(v);
  }
  body.appendChild(table);
}
map.on("click", async (ev) => {
  if (tool.mode) { addPoint([ev.lngLat.lng, ev.lngLat.lat]); return; }  // measuring / drawing takes the click
  const hits = map.queryRenderedFeatures(ev.point).filter((f) => f.layer.id.startsWith("ov-") || (f.properties && f.properties.layer));
  if (!hits.length) { body.textContent = L.nothing; return; }
  const f = hits[0];
  const cid = f.layer.id.startsWith("ov-") ? f.layer.metadata.collection : f.properties.layer;
  const name = (byId[cid] || {}).name || cid;
  if (f.id === undefined || f.id === null) { showTable(`${L.layer}：${name}`, f.properties); return; }
  body.textContent = L.loading;
  try {
    const r = await fetch(`/ogc/features/collections/${encodeURIComponent(cid)}/items/${encodeURIComponent(f.id)}?f=json`,
      {credentials: "same-origin", headers: {Accept: "application/geo+json"}});
    const doc = await r.json();
    if (!r.ok) { body.textContent = doc.detail || doc.title || L.failed; return; }
    showTable(`${L.layer}：${name} · ${L.feature} ${doc.id}`, doc.properties);
  } catch (e) { body.textContent = L.failed; }
});
map.on("mouseenter", () => {});

// -- address search ----------------------------------------------------------------------------------------------------
let marker = null;
const result = document.getElementById("onemap-search-result");
document.getElementById("onemap-search").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = document.getElementById("onemap-q").value.trim();
  if (!q) return;
  result.textContent = L.loading;
  try {
    const r = await fetch(`/api/v1/geo/geocode?q=${encodeURIComponent(q)}`, {credentials: "same-origin"});
    const doc = await r.json();
    const a = doc.result || {};
    if (!r.ok || !a.found || a.lon === null) { result.textContent = a.reason || doc.detail || L.notFound; return; }
    result.textContent = `${a.address}（${L.matched}：${a.level}）`;
    if (marker) marker.remove();
    marker = new maplibregl.Marker().setLngLat([a.lon, a.lat]).addTo(map);
    map.flyTo({center: [a.lon, a.lat], zoom: Math.max(map.getZoom(), 15)});
  } catch (e) { result.textContent = L.failed; }
});

// -- coordinates under the cursor: CGCS2000 (the map's own) and GCJ-02 (by the platform's conversion API) ------------
const coords = document.getElementById("onemap-coords");
let pending = null;
let gcj = "—";
function showCoords(lng, lat) { coords.textContent = `CGCS2000 ${lng.toFixed(6)}, ${lat.toFixed(6)} / GCJ-02 ${gcj}`; }
map.on("mousemove", (ev) => {
  const {lng, lat} = ev.lngLat;
  showCoords(lng, lat);
  clearTimeout(pending);
  pending = setTimeout(async () => {
    try {
      const r = await fetch("/api/v1/geo/convert", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({from: "EPSG:4490", to: "GCJ02", points: [[lng, lat]]})});
      if (!r.ok) return;
      const [x, y] = (await r.json()).points[0];
      gcj = `${x.toFixed(6)}, ${y.toFixed(6)}`;
      showCoords(lng, lat);
    } catch (e) { /* the CGCS2000 pair still shows */ }
  }, 250);
});

// -- measure and draw an area for statistics: geodesic length and area by Turf (vendored), counts of the checked
// layers' features inside the drawn polygon by OGC API Features (CQL2 S_INTERSECTS, numberMatched; policy applies) --
const turf = window.turf;
const tool = {mode: null, points: []};
const toolResult = document.getElementById("onemap-tool-result");
const EMPTY = {type: "FeatureCollection", features: []};
function fmtLength(m) { return m >= 1000 ? `${(m / 1000).toFixed(3)} km` : `${m.toFixed(1)} m`; }
function fmtArea(m2) { return m2 >= 1e6 ? `${(m2 / 1e6).toFixed(4)} km²` : `${m2.toFixed(1)} m²`; }
function toolShape() {
  const pts = tool.points;
  if (tool.mode === "distance" || pts.length < 3) return pts.length >= 2 ? turf.lineString(pts) : null;
  return turf.polygon([[...pts, pts[0]]]);
}
function redrawTool() {
  const src = map.getSource("tool");
  if (!src) return;
  const feats = tool.points.map((p) => turf.point(p));
  const shape = toolShape();
  if (shape) feats.push(shape);
  src.setData({type: "FeatureCollection", features: feats});
}
function showRows(rows) {
  toolResult.textContent = "";
  const table = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    tr.appendChild(th);
    tr.insertCell().textContent = v;
  }
  toolResult.appendChild(table);
}
function measure() {
  const shape = toolShape();
  const out = {points: tool.points.length, length_m: null, area_m2: null, perimeter_m: null};
  if (shape && shape.geometry.type === "LineString") out.length_m = turf.length(shape, {units: "kilometers"}) * 1000;
  if (shape && shape.geometry.type === "Polygon") {
    out.area_m2 = turf.area(shape);
    out.perimeter_m = turf.length(turf.polygonToLine(shape), {units: "kilometers"}) * 1000;
  }
  return out;
}
function showMeasure() {
  const m = measure();
  const rows = [[L.points, String(m.points)]];
  if (m.length_m !== null) rows.push([L.distance, fmtLength(m.length_m)]);
  if (m.area_m2 !== null) rows.push([L.area, fmtArea(m.area_m2)], [L.perimeter, fmtLength(m.perimeter_m)]);
  showRows(rows);
  return m;
}
function addPoint(p) { tool.points.push(p); redrawTool(); showMeasure(); }
function setMode(mode) {
  tool.mode = mode;
  tool.points = [];
  document.querySelectorAll("#onemap-tools [data-tool]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tool === mode)));
  map.getCanvas().style.cursor = mode ? "crosshair" : "";
  redrawTool();
  toolResult.textContent = "";
}
function checkedLayers() {
  return [...document.querySelectorAll("#onemap-layers input[type=checkbox]:checked")].map((b) => b.dataset.layer).filter((id) => byId[id]);
}
async function countInside(id, geometry) {
  const filter = JSON.stringify({op: "s_intersects", args: [{property: "geometry"}, geometry]});
  const r = await fetch(`/ogc/features/collections/${encodeURIComponent(id)}/items?f=json&limit=1&filter-lang=cql2-json&filter=${encodeURIComponent(filter)}`,
    {credentials: "same-origin", headers: {Accept: "application/geo+json"}});
  const doc = await r.json();
  if (!r.ok) throw new Error(doc.detail || doc.title || L.failed);
  return doc.numberMatched;
}
async function finish() {
  const mode = tool.mode;
  const need = mode === "distance" ? 2 : 3;
  if (!mode) return null;
  if (tool.points.length < need) { toolResult.textContent = L.needPoints; return null; }
  const m = showMeasure();
  tool.mode = null;  // keep the shape drawn; clicks identify again
  map.getCanvas().style.cursor = "";
  document.querySelectorAll("#onemap-tools [data-tool]").forEach((b) => b.setAttribute("aria-pressed", "false"));
  if (mode !== "stats") return m;
  const ids = checkedLayers();
  const rows = [[L.area, fmtArea(m.area_m2)], [L.perimeter, fmtLength(m.perimeter_m)]];
  if (!ids.length) { showRows(rows); toolResult.append(L.noLayers); return {...m, counts: {}}; }
  toolResult.textContent = L.loading;
  const geometry = toolShape().geometry;
  const counts = {};
  for (const id of ids) {
    try { counts[id] = await countInside(id, geometry); } catch (e) { counts[id] = null; }
    rows.push([`${byId[id].name} · ${L.count}`, counts[id] === null ? L.failed : String(counts[id])]);
  }
  showRows(rows);
  return {...m, counts};
}
function clearTool() { setMode(null); }
document.querySelectorAll("#onemap-tools [data-tool]").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.tool)));
document.getElementById("onemap-tool-add").addEventListener("click", () => {
  if (!tool.mode) return;
  const c = map.getCenter();
  addPoint([c.lng, c.lat]);
});
document.getElementById("onemap-tool-finish").addEventListener("click", () => { finish(); });
document.getElementById("onemap-tool-clear").addEventListener("click", clearTool);
document.addEventListener("keydown", (ev) => {
  if (!tool.mode || ev.target.matches("input, select, textarea")) return;
  if (ev.key === "Enter" && ev.target === document.body || ev.key === "Enter" && el.contains(ev.target)) { ev.preventDefault(); finish(); }
  if (ev.key === "Escape") clearTool();
});
map.on("load", () => {
  map.addSource("tool", {type: "geojson", data: EMPTY});
  map.addLayer({id: "tool-fill", type: "fill", source: "tool", filter: ["==", ["geometry-type"], "Polygon"], paint: {"fill-color": "#f43f5e", "fill-opacity": 0.15}});
  map.addLayer({id: "tool-line", type: "line", source: "tool", filter: ["!=", ["geometry-type"], "Point"], paint: {"line-color": "#e11d48", "line-width": 2, "line-dasharray": [2, 1]}});
  map.addLayer({id: "tool-point", type: "circle", source: "tool", filter: ["==", ["geometry-type"], "Point"], paint: {"circle-color": "#e11d48", "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1}});
});
window.onemapTools = {setMode, addPoint, finish, clear: clearTool, measure};  // the browser test drives the tools

// -- version compare: the changes between two versions of a layer (/api/v1/geo/layers/{code}/changes, GeoJSON) -------
const CHANGE_COLOURS = {added: "#16a34a", removed: "#dc2626", moved: "#ea580c", changed: "#2563eb"};
const cmpLayer = document.getElementById("onemap-compare-layer");
const cmpFrom = document.getElementById("onemap-compare-from");
const cmpTo = document.getElementById("onemap-compare-to");
const cmpResult = document.getElementById("onemap-compare-result");
const colourByChange = ["match", ["get", "change"], ...Object.entries(CHANGE_COLOURS).flat(), "#6b7280"];
function fillVersions() {
  const opt = cmpLayer.selectedOptions[0];
  const n = opt ? Number(opt.dataset.version) : 0;
  for (const [sel, pick] of [[cmpFrom, n - 1], [cmpTo, n]]) {
    sel.textContent = "";
    for (let v = 1; v <= n; v++) sel.add(new Option(`${L.version} ${v}`, String(v), false, v === pick));
  }
  document.getElementById("onemap-compare-none").hidden = n > 1;
  document.getElementById("onemap-compare-run").disabled = n < 2;
}
cmpLayer.addEventListener("change", fillVersions);
fillVersions();
function clearCompare() {
  ["cmp-fill", "cmp-line", "cmp-point"].forEach((id) => { if (map.getLayer(id)) map.removeLayer(id); });
  if (map.getSource("compare")) map.removeSource("compare");
  cmpResult.textContent = "";
}
async function compare(id, from, to) {
  if (from === to) { cmpResult.textContent = L.sameVersion; return null; }
  cmpResult.textContent = L.loading;
  const r = await fetch(`/api/v1/geo/layers/${encodeURIComponent(id)}/changes?from=${from}&to=${to}&format=geojson`,
    {credentials: "same-origin", headers: {Accept: "application/geo+json"}});
  const doc = await r.json();
  if (!r.ok) { cmpResult.textContent = doc.detail || doc.title || L.failed; return null; }
  clearCompare();
  map.addSource("compare", {type: "geojson", data: doc});
  map.addLayer({id: "cmp-fill", type: "fill", source: "compare", filter: polygon, paint: {"fill-color": colourByChange, "fill-opacity": 0.35}});
  map.addLayer({id: "cmp-line", type: "line", source: "compare", filter: ["!=", ["geometry-type"], "Point"], paint: {"line-color": colourByChange, "line-width": 2.5}});
  map.addLayer({id: "cmp-point", type: "circle", source: "compare", filter: ["==", ["geometry-type"], "Point"],
    paint: {"circle-color": colourByChange, "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5}});
  const counts = {added: 0, removed: 0, moved: 0, changed: 0};
  for (const f of doc.features) counts[f.properties.change] = (counts[f.properties.change] || 0) + 1;
  showRowsIn(cmpResult, [[L.changes, `${L.version} ${from} → ${to}`], ...Object.keys(CHANGE_COLOURS).map((k) => [L[k], String(counts[k])])]);
  const withGeometry = doc.features.filter((f) => f.geometry);
  if (withGeometry.length) {
    const [a, b, c, d] = turf.bbox({type: "FeatureCollection", features: withGeometry});
    map.fitBounds([[a, b], [c, d]], {padding: 40, maxZoom: 16, duration: 0});
  }
  return counts;
}
function showRowsIn(target, rows) {
  target.textContent = "";
  const table = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    tr.appendChild(th);
    tr.insertCell().textContent = v;
  }
  target.appendChild(table);
}
document.getElementById("onemap-compare-run").addEventListener("click", () => {
  if (cmpLayer.value) compare(cmpLayer.value, Number(cmpFrom.value), Number(cmpTo.value)).catch(() => { cmpResult.textContent = L.failed; });
});
document.getElementById("onemap-compare-clear").addEventListener("click", clearCompare);
window.onemapCompare = compare;

// -- PNG export: the canvas as drawn (preserveDrawingBuffer) after the next render ------------------------------------
function exportPng() {
  return new Promise((resolve) => {
    map.once("render", () => {
      map.getCanvas().toBlob((blob) => {
        if (!blob) { resolve(null); return; }
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = `zhicheng-map-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "")}.png`;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        resolve(blob);
      }, "image/png");
    });
    map.triggerRepaint();
  });
}
document.getElementById("onemap-export").addEventListener("click", () => { exportPng(); });
window.onemapExport = () => exportPng().then((b) => (b ? {size: b.size, type: b.type} : null));

map.on("idle", () => { el.dataset.ready = "1"; });
