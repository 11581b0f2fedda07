// the 专题统计 page: the measure list follows the layer picked; the choropleth of the zones (quantile classes of
// the statistic) on a blank, offline MapLibre style, with its legend; the table above stays the answer without WebGL
const config = JSON.parse(document.getElementById("stats-config").textContent);
const layerSelect = document.getElementById("stats-layer");
const measureSelect = document.getElementById("stats-measure");

function measureOptions() {
  const wanted = config.measures[layerSelect.value] || [];
  const current = measureSelect.value;
  measureSelect.replaceChildren(...wanted.map(([value, label]) => {
    const option = new Option(label, value, false, value === current);
    return option;
  }));
  if (!wanted.length) measureSelect.append(new Option("—", "count"));
}
layerSelect.addEventListener("change", measureOptions);

const COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];  // ColorBrewer YlOrRd, 5 classes
const EMPTY = "#e2e8f0";

function breaks(values) {
  // upper bounds of up to five quantile classes over the non-zero values (zero has its own colour)
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const out = [];
  for (let k = 1; k <= COLOURS.length; k++) {
    const v = sorted[Math.min(sorted.length - 1, Math.ceil((k * sorted.length) / COLOURS.length) - 1)];
    if (!out.length || v > out[out.length - 1]) out.push(v);
  }
  return out;
}

function bbox(features) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === "number") {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(walk);
  };
  features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return b;
}

const fmt = (v) => (Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, {maximumFractionDigits: 2}));

function legend(el, edges) {
  const items = [[EMPTY, "0 / " + config.labels.noData]];
  let low = 0;
  edges.forEach((high, i) => { items.push([COLOURS[i], `${fmt(low)} – ${fmt(high)}`]); low = high; });
  el.replaceChildren(...items.map(([colour, text]) => {
    const span = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = colour;
    span.append(swatch, text);
    return span;
  }));
}

async function choropleth() {
  const el = document.getElementById("stats-map");
  if (!el) return;
  const legendEl = document.getElementById("stats-legend");
  try {
    const response = await fetch(el.dataset.src, {credentials: "same-origin"});
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    const values = data.features.map((f) => Number(f.properties.value) || 0);
    const edges = breaks(values);
    legend(legendEl, edges);
    // class i holds (edges[i-1], edges[i]]: a step's stop is just above the class's upper bound
    const value = ["to-number", ["get", "value"]];
    const stops = edges.slice(0, -1).flatMap((edge, i) => [edge + Math.max(1e-9, Math.abs(edge) * 1e-9), COLOURS[i + 1]]);
    const colour = ["case", ["<=", value, 0], EMPTY, stops.length ? ["step", value, COLOURS[0], ...stops] : COLOURS[0]];
    const maplibregl = await import("/static/vendor/maplibre/maplibre-gl.mjs");
    const map = new maplibregl.Map({
      container: el, attributionControl: false,
      style: {version: 8, sources: {zones: {type: "geojson", data}},
        layers: [{id: "bg", type: "background", paint: {"background-color": "#f8fafc"}},
          {id: "fill", type: "fill", source: "zones", paint: {"fill-color": colour, "fill-opacity": 0.8}},
          {id: "line", type: "line", source: "zones", paint: {"line-color": "#64748b", "line-width": 0.6}}]},
      bounds: bbox(data.features), fitBoundsOptions: {padding: 16}
    });
    map.addControl(new maplibregl.NavigationControl({showCompass: false}));
    map.on("click", "fill", (e) => {
      const p = e.features[0].properties;
      const name = p.name || p.mc || p.qhmc || p.grid_code || p.code || p.zone_id;
      new maplibregl.Popup().setLngLat(e.lngLat)
        .setText(`${config.labels.zone}: ${name}  ${config.labels.value}: ${fmt(Number(p.value) || 0)}`).addTo(map);
    });
    map.on("load", () => {
      el.dataset.features = String(data.features.length);
      el.dataset.classes = String(edges.length);
      el.dataset.ready = "1";
      window.statsMap = map;
    });
  } catch (err) {
    el.hidden = true;
    legendEl.textContent = config.labels.failed;
  }
}
choropleth();
