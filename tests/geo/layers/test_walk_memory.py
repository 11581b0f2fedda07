"""A full walk of a layer (every page, by its `next` cursor) holds memory flat in the layer's size: the peak while
walking 4,000 features and while walking 16,000 is the same page's worth (issue #13, "memory flat in the layer size
for ... full walks")."""

from __future__ import annotations

import tracemalloc

import orjson
import pytest

from tests.geo.layers.conftest import ITEMS, point, write_geojson
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import ANONYMOUS
from zhicheng.geo.layers import service as layers

pytestmark = pytest.mark.slow
PAGE = 500


def _layer(db, make_resource, departments, officer, tmp_path, n: int):
    res = make_resource(f"设施点位{n}", department=departments["housing"], state="published", actor=officer,
                        items=ITEMS, open_type="unconditional", spatial=True, share_type="unconditional",
                        share_condition=None, summary="内存测试用的点位（测试数据）。")
    parks = [(f"设施{i:06d}", "路灯", float(i % 900), i, "2020-01-01", "13807310001",
              point(112.8 + (i % 400) * 0.001, 28.0 + (i // 400) * 0.001)) for i in range(n)]
    path = tmp_path / f"points{n}.geojson"
    write_geojson(path, parks)
    assert datasets.import_file(db, actor=officer, resource_id=res.id, path=path, filename=path.name).ok
    return res


def _walk_peak(db, res) -> tuple[int, int]:
    """(features walked, peak bytes traced while walking)."""
    layer = layers.open_layer(db, actor=ANONYMOUS, request=None, code=res.code)
    tracemalloc.start()
    seen, after = 0, None
    while True:
        page = layers.items(db, layer, limit=PAGE, after=after)
        orjson.dumps({"features": page.features})  # what the door does with it
        seen += page.number_returned
        if not page.has_next and page.number_returned < PAGE:
            break
        after = page.last_row
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seen, peak


def test_a_full_walk_holds_one_page_whatever_the_layer_size(db, make_resource, departments, layer_actors, tmp_path):
    officer = layer_actors["officer"]
    small = _layer(db, make_resource, departments, officer, tmp_path, 4_000)
    large = _layer(db, make_resource, departments, officer, tmp_path, 16_000)
    n_small, peak_small = _walk_peak(db, small)
    n_large, peak_large = _walk_peak(db, large)
    print(f"walk peaks: 4,000 features {peak_small:,} B, 16,000 features {peak_large:,} B")
    assert (n_small, n_large) == (4_000, 16_000)
    # four times the features, the same page: the peak may differ by noise (caches, the audit chain), not by size
    assert peak_large < peak_small * 1.5 + 1_000_000, (peak_small, peak_large)
    assert peak_large < 12_000_000, peak_large
