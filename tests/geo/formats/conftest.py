"""Fixtures of the geo-format import tests: a layer resource of 自然资源局 (a geometry item), its officer, and
small real geo files written with GDAL (pyogrio) in the CRSs cities send."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely

from zhicheng.accounts import service as accounts

LAYER_ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 50, "required": True},
    {"name": "bh", "label": "编号", "type": "integer"},
    {"name": "fw", "label": "位置", "type": "geometry", "required": True},
]
# Changsha places in CGCS2000 (lon, lat): the truth every test compares against
PLACES = [("岳麓山", 112.9366, 28.1889), ("橘子洲", 112.9612, 28.1832), ("五一广场", 112.9768, 28.1965),
          ("长沙南站", 113.0652, 28.1470), ("黄花机场", 113.2198, 28.1891)]


@pytest.fixture
def layer(make_resource, departments):
    """城市地名点 of 公安局's department (draft) with a name, a number and a geometry item."""
    return make_resource("城市地名点", department=departments["police"], items=LAYER_ITEMS)


@pytest.fixture
def officer(make_user, departments):
    user = make_user("geo_officer", roles=["data_officer"], department=departments["police"], display_name="地理数据员")
    return {"actor": accounts.actor_for(user), "user": user}


def projected(crs: str) -> list:
    """PLACES as Shapely points in `crs`, projected by PROJ directly (independently of zhicheng.geo.crs)."""
    import pyproj

    t = pyproj.Transformer.from_crs("EPSG:4490", crs, always_xy=True)
    x, y = t.transform([p[1] for p in PLACES], [p[2] for p in PLACES])
    return [shapely.Point(a, b) for a, b in zip(x, y, strict=True)]


def write_layer(path: Path, geoms: list, crs: str | None, *, driver: str, names=None, extra=None) -> Path:
    """A real file written by GDAL through pyogrio (geopandas only builds the frame)."""
    import geopandas
    import pyogrio

    names = names or [p[0] for p in PLACES][: len(geoms)]
    frame = geopandas.GeoDataFrame({"mc": names, "bh": np.arange(1, len(geoms) + 1, dtype="int64"), **(extra or {})},
                                   geometry=geoms, crs=crs)
    pyogrio.write_dataframe(frame, path, driver=driver)
    return path


def zip_folder(folder: Path, out: Path, *, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out
