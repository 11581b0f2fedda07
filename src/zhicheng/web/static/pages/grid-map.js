// the unit grid page's map (MapLibre, vendored): the cells from the grids API on a blank offline style, a click shows the code
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
const el = document.getElementById("grid-map");
fetch(el.dataset.src, {credentials: "same-origin"}).then((r) => r.json()).then((data) => {
  let [w, s, e, n] = [180, 90, -180, -90];
  const walk = (c) => { if (typeof c[0] === "number") { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  data.features.forEach((f) => walk(f.geometry.coordinates));
  if (!data.features.length) { el.hidden = true; return; }
  const map = new maplibregl.Map({
    container: el, attributionControl: false,
    style: {version: 8, sources: {grids: {type: "geojson", data}},
      layers: [{id: "bg", type: "background", paint: {"background-color": "#f1f5f9"}},
        {id: "cells", type: "fill", source: "grids", paint: {"fill-color": "#2563eb", "fill-opacity": 0.12}},
        {id: "edges", type: "line", source: "grids", paint: {"line-color": "#1d4ed8", "line-width": 0.8}}]},
    bounds: [w, s, e, n], fitBoundsOptions: {padding: 20}
  });
  map.addControl(new maplibregl.NavigationControl({showCompass: false}));
  map.on("click", "cells", (ev) => {
    const p = ev.features[0].properties;
    new maplibregl.Popup().setLngLat(ev.lngLat).setText(`${p.grid_code} ${p.community_name || ""} ${Number(p.area_m2).toFixed(0)} m²`).addTo(map);
  });
  map.on("load", () => { el.dataset.ready = "1"; el.dataset.features = String(data.features.length); });
}).catch(() => { el.hidden = true; });
