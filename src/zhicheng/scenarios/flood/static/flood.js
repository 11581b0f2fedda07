// the flood page (防汛监测): stations on a MapLibre map (vendored, offline) coloured as the tables say, and a 24-hour
// ECharts chart of the station whose row is chosen (hourly aggregates from the IoT API)
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";

const data = JSON.parse(document.getElementById("flood-data").textContent);
const mapEl = document.getElementById("flood-map");
const chartEl = document.getElementById("flood-chart");
const chartName = document.getElementById("flood-chart-name");
const rows = Array.from(document.querySelectorAll("tr[data-stream]"));

function drawMap() {
  const features = data.geojson.features;
  mapEl.dataset.features = String(features.length);
  if (!features.length) { mapEl.dataset.ready = "1"; return; }
  let [w, s, e, n] = [180, 90, -180, -90];
  for (const f of features) {
    const [x, y] = f.geometry.coordinates;
    w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
  }
  const pad = 0.01;
  const map = new maplibregl.Map({
    container: mapEl, attributionControl: false,
    style: {version: 8, sources: {stations: {type: "geojson", data: data.geojson}},
      layers: [{id: "bg", type: "background", paint: {"background-color": "#f1f5f9"}},
        {id: "stations", type: "circle", source: "stations",
          paint: {"circle-radius": ["match", ["get", "kind"], "rain", 8, "level", 9, 7],
            "circle-color": ["get", "colour"], "circle-stroke-width": 1.5,
            "circle-stroke-color": ["match", ["get", "kind"], "level", "#1e3a8a", "waterlogging", "#7c2d12", "#334155"]}}]},
    bounds: [w - pad, s - pad, e + pad, n + pad], fitBoundsOptions: {padding: 30, maxZoom: 14}
  });
  map.addControl(new maplibregl.NavigationControl({showCompass: false}));
  map.on("click", "stations", (ev) => {
    const p = ev.features[0].properties;
    new maplibregl.Popup().setLngLat(ev.lngLat).setText(`${p.name} ${p.code}`).addTo(map);
    const row = rows.find((r) => r.dataset.id === String(p.id));
    if (row) choose(row);
  });
  map.on("load", () => { mapEl.dataset.ready = "1"; });
}

let chart = null;
function choose(row) {
  rows.forEach((r) => r.setAttribute("aria-selected", r === row ? "true" : "false"));
  chartName.textContent = row.dataset.name;
  if (!row.dataset.stream || !window.echarts) return;
  const to = new Date(data.at);
  const from = new Date(to.getTime() - 24 * 3600 * 1000);
  const q = new URLSearchParams({interval: "hour", function: row.dataset.function, from: from.toISOString(), to: to.toISOString()});
  fetch(`/api/v1/iot/datastreams/${row.dataset.stream}/aggregates?${q}`, {credentials: "same-origin"})
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((body) => {
      chart = chart || window.echarts.init(chartEl);
      const unit = chartEl.dataset[`unit${row.dataset.unit[0].toUpperCase()}${row.dataset.unit.slice(1)}`];
      const values = body.values.map(([t, v]) => [t, row.dataset.unit === "level" ? Number(v.toFixed(2)) : Number(v.toFixed(1))]);
      chart.setOption({
        animation: false, grid: {left: 50, right: 16, top: 30, bottom: 30}, tooltip: {trigger: "axis"},
        title: values.length ? undefined : {text: chartEl.dataset.empty, left: "center", top: "middle", textStyle: {fontSize: 14, color: "#64748b"}},
        xAxis: {type: "time"}, yAxis: {type: "value", name: unit, scale: row.dataset.unit === "level"},
        series: [{type: row.dataset.unit === "rain" ? "bar" : "line", name: unit, data: values, showSymbol: false}]
      }, true);
      chartEl.dataset.points = String(values.length);
      chartEl.dataset.stream = row.dataset.stream;
    })
    .catch(() => { chartEl.dataset.points = "0"; });
}

rows.forEach((r) => {
  r.addEventListener("click", () => choose(r));
  r.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(r); } });
});
window.addEventListener("resize", () => chart && chart.resize());
try { drawMap(); } catch (err) { mapEl.dataset.ready = "error"; }
const first = rows.find((r) => r.dataset.stream);
if (first) choose(first);
