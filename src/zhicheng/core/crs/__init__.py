"""Coordinate reference systems, pure: the registry of CRSs zhicheng speaks and conversion between them.

It sits in core (like `core.ids`) because both the catalog's import of geo files and the geo domain need it and
domains may not import each other round a ring; its doors (API, CLI) are `zhicheng.geo.crs`.
"""
