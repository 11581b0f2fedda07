// the open dataset's map preview (MapLibre): moved out of the page so that the CSP allows scripts from 'self' only
// MapLibre GL (vendored) draws the preview's features on a blank, offline style; the SVG stays if WebGL is missing
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
const el = document.getElementById("map");
const data = JSON.parse(document.getElementById("map-data").textContent);
try {
  const [w, s, e, n] = data.bounds;
  const map = new maplibregl.Map({
    container: el, attributionControl: false,
    style: {version: 8, sources: {data: {type: "geojson", data: {type: "FeatureCollection", features: data.features}}},
      layers: [{id: "bg", type: "background", paint: {"background-color": "#f1f5f9"}},
        {id: "fill", type: "fill", source: "data", filter: ["==", ["geometry-type"], "Polygon"], paint: {"fill-color": "#2563eb", "fill-opacity": 0.2}},
        {id: "line", type: "line", source: "data", filter: ["!=", ["geometry-type"], "Point"], paint: {"line-color": "#2563eb", "line-width": 2}},
        {id: "pt", type: "circle", source: "data", filter: ["==", ["geometry-type"], "Point"], paint: {"circle-radius": 6, "circle-color": "#dc2626", "circle-stroke-color": "#fff", "circle-stroke-width": 1}}]},
    bounds: (w === e && s === n) ? [w - 0.01, s - 0.01, e + 0.01, n + 0.01] : [w, s, e, n],
    fitBoundsOptions: {padding: 24}
  });
  el.hidden = false;
  map.on("load", () => { document.getElementById("map-preview").style.display = "none"; el.dataset.ready = "1"; map.resize(); });
  map.on("error", () => { el.hidden = true; });
} catch (err) { el.hidden = true; }
