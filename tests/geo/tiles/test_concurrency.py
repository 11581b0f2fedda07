"""Many callers at once on a live server: the same uncached tile asked by eight threads comes back whole and equal to
every one of them (the cache is written atomically), and later asks are cache hits."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor

from zhicheng.geo.layers import service as layers
from zhicheng.geo.tiles.matrix import SETS


def test_eight_callers_one_tile(live_server, db, parks_layer):
    db.commit()
    (y, x), = SETS["WebMercatorQuad"].tiles_over([112.97, 28.19, 112.97, 28.19], 12)
    url = f"{live_server.url}/ogc/tiles/collections/{layers.collection_id(parks_layer.code)}/tiles/WebMercatorQuad/12/{y}/{x}"

    def fetch(_n: int) -> tuple[int, bytes, str]:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, r.read(), r.headers["X-Tile-Cache"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(fetch, range(16)))
    assert {a[0] for a in answers} == {200}
    assert len({a[1] for a in answers}) == 1 and answers[0][1]
    assert fetch(0)[2] == "hit"
