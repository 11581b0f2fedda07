// the air quality page (物联感知 › 空气质量): the stations on an offline MapLibre map coloured by their AQI level (HJ 633
// Appendix A colours, from the page's JSON), and the daily AQI trend (ECharts) from /api/v1/environment/trend
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("air-config").textContent);
const labels = JSON.parse(document.getElementById("air-labels").textContent);
const NO_DATA = "#94a3b8";

function drawMap() {
  const el = document.getElementById("air-map");
  if (!el || !config.stations.length) return;
  const features = config.stations.map((s) => ({type: "Feature", id: s.id,
    properties: {id: s.id, name: s.name, code: s.code, district: s.district, aqi: s.aqi === null ? "" : s.aqi,
      category: s.category || labels.noData, colour: s.colour || NO_DATA, current: s.current},
    geometry: {type: "Point", coordinates: [s.lon, s.lat]}}));
  let [w, s, e, n] = [180, 90, -180, -90];
  config.stations.forEach((p) => { w = Math.min(w, p.lon); e = Math.max(e, p.lon); s = Math.min(s, p.lat); n = Math.max(n, p.lat); });
  const pad = 0.02;
  const map = new maplibregl.Map({
    container: el, attributionControl: false,
    style: {version: 8, sources: {stations: {type: "geojson", data: {type: "FeatureCollection", features}}},
      layers: [{id: "bg", type: "background", paint: {"background-color": "#f1f5f9"}},
        {id: "stations", type: "circle", source: "stations", paint: {
          "circle-radius": 10, "circle-color": ["get", "colour"], "circle-stroke-color": "#1e293b",
          "circle-stroke-width": 1.2, "circle-opacity": ["case", ["get", "current"], 1, 0.55]}}]},
    bounds: [w - pad, s - pad, e + pad, n + pad], fitBoundsOptions: {padding: 30}
  });
  map.addControl(new maplibregl.NavigationControl({showCompass: false}));
  map.on("click", "stations", (ev) => {
    const p = ev.features[0].properties;
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = p.name;
    const body = document.createElement("div");
    body.textContent = `${labels.aqi} ${p.aqi === "" ? "—" : p.aqi} · ${p.category} · ${labels.district} ${p.district}`;
    box.append(title, body);
    new maplibregl.Popup().setLngLat(ev.lngLat).setDOMContent(box).addTo(map);
  });
  map.on("mouseenter", "stations", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "stations", () => { map.getCanvas().style.cursor = ""; });
  window.airMap = map;
  map.on("load", () => { el.dataset.ready = "1"; el.dataset.stations = String(features.length); });
}

function drawTrend() {
  const el = document.getElementById("air-trend");
  const note = document.getElementById("air-trend-note");
  if (!el || !window.echarts) return;
  fetch(config.trend, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then((data) => {
      const chart = echarts.init(el);
      const points = data.days.map((d) => ({value: d.report ? d.report.aqi : null,
        itemStyle: {color: d.report ? d.report.colour : NO_DATA}}));
      chart.setOption({
        tooltip: {trigger: "axis"}, grid: {left: 48, right: 16, top: 24, bottom: 32},
        xAxis: {type: "category", data: data.days.map((d) => d.date)},
        yAxis: {type: "value", name: "AQI", min: 0},
        series: [{name: "AQI", type: "bar", data: points}]
      });
      window.addEventListener("resize", () => chart.resize());
      el.dataset.ready = "1";
      el.dataset.days = String(data.days.length);
      el.dataset.withAqi = String(data.days.filter((d) => d.report).length);
    })
    .catch(() => { note.textContent = labels.trendFailed; el.dataset.ready = "error"; });
}

drawMap();
drawTrend();
