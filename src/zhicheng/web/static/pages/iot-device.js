// the device page (物联感知 › 设备): the last 24 hours of hourly means (ECharts, from /api/v1/iot/aggregates) and the
// device's place on a small offline MapLibre map; no inline script, so the CSP allows scripts from 'self' only
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("device-config").textContent);

function drawChart() {
  const el = document.getElementById("device-chart");
  const note = document.getElementById("device-chart-note");
  if (!el || !config.chart.api || !window.echarts) return;
  fetch(config.chart.api, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then((data) => {
      const streams = data.datastreams || [];
      const drawn = streams.filter((s) => s.values.length);
      if (!drawn.length) note.textContent = config.chart.empty;
      const unit = (s) => (s.unit_of_measurement && s.unit_of_measurement.symbol) || "";
      const chart = echarts.init(el);
      chart.setOption({
        tooltip: {trigger: "axis"}, legend: {top: 0, type: "scroll"},
        grid: {left: 52, right: 16, top: 36, bottom: 32},
        xAxis: {type: "time", min: data.from, max: data.to}, yAxis: {type: "value", scale: true},
        series: streams.map((s) => ({name: `${s.name} ${unit(s)}`.trim(), type: "line",
          showSymbol: s.values.length < 30, connectNulls: false, data: s.values}))
      });
      window.addEventListener("resize", () => chart.resize());
      el.dataset.ready = "1";
      el.dataset.series = String(streams.length);
      el.dataset.points = String(streams.reduce((n, s) => n + s.values.length, 0));
    })
    .catch(() => { note.textContent = config.chart.failed; el.dataset.ready = "error"; });
}

function drawMap() {
  const el = document.getElementById("device-map");
  const loc = config.location;
  if (!el || !loc) return;
  const data = {type: "FeatureCollection", features: [{type: "Feature", properties: {name: loc.name},
    geometry: {type: "Point", coordinates: [loc.lon, loc.lat]}}]};
  const map = new maplibregl.Map({
    container: el, attributionControl: false, center: [loc.lon, loc.lat], zoom: 13,
    style: {version: 8, sources: {device: {type: "geojson", data}},
      layers: [{id: "bg", type: "background", paint: {"background-color": "#f1f5f9"}},
        {id: "device", type: "circle", source: "device", paint: {"circle-radius": 8, "circle-color": "#2563eb",
          "circle-stroke-color": "#ffffff", "circle-stroke-width": 2}}]}
  });
  map.addControl(new maplibregl.NavigationControl({showCompass: false}));
  window.deviceMap = map;
  map.on("load", () => { el.dataset.ready = "1"; });
}

drawChart();
drawMap();
