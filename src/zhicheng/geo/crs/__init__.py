"""Coordinate systems (坐标系): the CRSs zhicheng speaks, and conversion between them (CGCS2000, WGS 84, GCJ-02, BD-09…)."""
