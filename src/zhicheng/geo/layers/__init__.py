"""Layers (图层): the spatial index of each layer version, the layer query service and OGC API - Features."""
