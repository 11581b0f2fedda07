"""The tile matrix sets served (OGC 2D-TMS): WebMercatorQuad and WorldCRS84Quad, with tile bounds and range checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from zhicheng.core.errors import Invalid, NotFound

R = 6378137.0
ORIGIN = math.pi * R  # 20037508.342789244
MAX_ZOOM = 22


@dataclass(frozen=True)
class Matrix:
    """A tile matrix set: its id, CRS (URI and the key the layer service takes), and how many tiles per zoom."""

    id: str
    title: str
    crs_uri: str
    crs_key: str
    uri: str

    def size(self, z: int) -> tuple[int, int]:
        """(columns, rows) at zoom `z`."""
        if self.id == "WorldCRS84Quad":
            return 2 ** (z + 1), 2 ** z
        return 2 ** z, 2 ** z

    def bounds(self, z: int, y: int, x: int) -> tuple[float, float, float, float]:
        """The tile's (minx, miny, maxx, maxy) in this set's CRS (x = easting/longitude)."""
        if self.id == "WorldCRS84Quad":
            d = 180.0 / 2 ** z
            return -180 + x * d, 90 - (y + 1) * d, -180 + (x + 1) * d, 90 - y * d
        d = 2 * ORIGIN / 2 ** z
        return -ORIGIN + x * d, ORIGIN - (y + 1) * d, -ORIGIN + (x + 1) * d, ORIGIN - y * d

    def lonlat_bounds(self, z: int, y: int, x: int) -> tuple[float, float, float, float]:
        """The tile's bounds in longitude/latitude (CRS84)."""
        minx, miny, maxx, maxy = self.bounds(z, y, x)
        if self.id == "WorldCRS84Quad":
            return minx, miny, maxx, maxy
        return to_lon(minx), to_lat(miny), to_lon(maxx), to_lat(maxy)

    def tiles_over(self, bbox: list[float], z: int) -> range | list[tuple[int, int]]:
        """(y, x) of every tile at `z` covering a lon/lat bbox."""
        minlon, minlat, maxlon, maxlat = bbox
        cols, rows = self.size(z)
        if self.id == "WorldCRS84Quad":
            d = 180.0 / 2 ** z
            x0, x1 = int((minlon + 180) // d), int((maxlon + 180) // d)
            y0, y1 = int((90 - maxlat) // d), int((90 - minlat) // d)
        else:
            d = 2 * ORIGIN / 2 ** z
            x0, x1 = int((to_x(minlon) + ORIGIN) // d), int((to_x(maxlon) + ORIGIN) // d)
            y0, y1 = int((ORIGIN - to_y(maxlat)) // d), int((ORIGIN - to_y(minlat)) // d)
        x0, x1 = max(0, x0), min(cols - 1, x1)
        y0, y1 = max(0, y0), min(rows - 1, y1)
        return [(y, x) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]

    def doc(self) -> dict:
        """The set as OGC 2D-TMS JSON (zooms 0..MAX_ZOOM)."""
        matrices = []
        for z in range(MAX_ZOOM + 1):
            cols, rows = self.size(z)
            if self.id == "WorldCRS84Quad":
                cell = 180.0 / 2 ** z / 256
                corner = [90.0, -180.0]  # lat, lon: the CRS's axis order
                denom = cell * (math.pi * R / 180) / 0.00028
            else:
                cell = 2 * ORIGIN / 2 ** z / 256
                corner = [-ORIGIN, ORIGIN]
                denom = cell / 0.00028
            matrices.append({"id": str(z), "scaleDenominator": denom, "cellSize": cell, "cornerOfOrigin": "topLeft",
                             "pointOfOrigin": corner, "tileWidth": 256, "tileHeight": 256, "matrixWidth": cols,
                             "matrixHeight": rows})
        return {"id": self.id, "title": self.title, "uri": self.uri, "crs": self.crs_uri,
                "orderedAxes": ["Lat", "Lon"] if self.id == "WorldCRS84Quad" else ["E", "N"],
                "tileMatrices": matrices}


SETS = {
    "WebMercatorQuad": Matrix("WebMercatorQuad", "Google Maps Compatible for the World（Web 墨卡托）",
                              "http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857",
                              "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"),
    "WorldCRS84Quad": Matrix("WorldCRS84Quad", "CRS84 for the World（经纬度，CGCS2000 客户端可用）",
                             "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84",
                             "http://www.opengis.net/def/tilematrixset/OGC/1.0/WorldCRS84Quad"),
}


def to_lon(x: float) -> float:
    return x / R * 180 / math.pi


def to_lat(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y / R)) - math.pi / 2)


def to_x(lon: float) -> float:
    return R * math.radians(max(-180.0, min(180.0, lon)))


def to_y(lat: float) -> float:
    lat = max(-85.05112878, min(85.05112878, lat))
    return R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def matrix_set(tms: str) -> Matrix:
    """The set named `tms`, or 404 naming the parameter."""
    found = SETS.get(tms)
    if found is None:
        shown = str(tms)[:40]
        raise NotFound(f"瓦片矩阵集 {shown} 不存在（可用：{'、'.join(SETS)}）",
                       f"tile matrix set {shown} not found (use {', '.join(SETS)})", field="tileMatrixSetId")
    return found


def _int(text: str, name: str) -> int:
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= 9):
        raise Invalid(f"{name} 须为非负整数", f"{name} must be a non-negative integer", field=name, status=400,
                      code="invalid_parameter")
    return int(text)


def check_tile(tms: Matrix, z: str, y: str, x: str) -> tuple[int, int, int]:
    """Tile coordinates as integers: 400 when not integers, 404 when outside the matrix set (never a 5xx)."""
    zi, yi, xi = _int(z, "tileMatrix"), _int(y, "tileRow"), _int(x, "tileCol")
    if zi > MAX_ZOOM:
        raise NotFound(f"缩放级别 {zi} 超出范围（0–{MAX_ZOOM}）", f"tileMatrix {zi} out of range (0–{MAX_ZOOM})",
                       field="tileMatrix")
    cols, rows = tms.size(zi)
    if yi >= rows:
        raise NotFound(f"瓦片行号 {yi} 超出范围（0–{rows - 1}）", f"tileRow {yi} out of range (0–{rows - 1})",
                       field="tileRow")
    if xi >= cols:
        raise NotFound(f"瓦片列号 {xi} 超出范围（0–{cols - 1}）", f"tileCol {xi} out of range (0–{cols - 1})",
                       field="tileCol")
    return zi, yi, xi
