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

map.on("idle", () => { el.dataset.ready = "1"; });
