// the address search page's map (MapLibre, vendored): the point found and its district's boundary on a blank,
// offline style; the table above stays the answer when WebGL is missing
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
const el = document.getElementById("map");
const data = JSON.parse(document.getElementById("map-data").textContent);
try {
  const map = new maplibregl.Map({
    container: el, attributionControl: false,
    style: {version: 8, sources: {data: {type: "geojson", data: {type: "FeatureCollection", features: data.features}}},
      layers: [{id: "bg", type: "background", paint: {"background-color": "#f1f5f9"}},
        {id: "fill", type: "fill", source: "data", filter: ["==", ["get", "role"], "district"], paint: {"fill-color": "#2563eb", "fill-opacity": 0.08}},
        {id: "line", type: "line", source: "data", filter: ["==", ["get", "role"], "district"], paint: {"line-color": "#2563eb", "line-width": 1.5}},
        {id: "pt", type: "circle", source: "data", filter: ["==", ["get", "role"], "point"], paint: {"circle-radius": 7, "circle-color": "#dc2626", "circle-stroke-color": "#fff", "circle-stroke-width": 2}}]},
    bounds: data.bounds, fitBoundsOptions: {padding: 16}
  });
  map.on("load", () => { el.dataset.ready = "1"; map.resize(); });
  map.on("error", () => { el.hidden = true; });
} catch (err) { el.hidden = true; }
