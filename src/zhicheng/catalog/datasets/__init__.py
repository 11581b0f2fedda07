"""Datasets of catalog resources: streaming import of CSV / XLSX / JSON / GeoJSON into versioned row tables."""
