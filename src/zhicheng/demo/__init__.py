"""The demo city 长沙市: bundled data, seeded generators, the loader and `zhicheng demo`."""
