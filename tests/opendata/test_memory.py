"""Downloads stream: a large table goes out row by row, the memory held stays small."""

from __future__ import annotations

import csv
import tracemalloc

import pytest

from tests.opendata.fixtures import PEOPLE_ITEMS, cid
from zhicheng.catalog.datasets import service as datasets
from zhicheng.opendata import access, downloads

pytestmark = pytest.mark.slow
ROWS = 40_000


def test_csv_and_xlsx_downloads_stream_in_flat_memory(
    db, engine, make_resource, departments, officer, tmp_path
):
    from zhicheng.core.db import make_sessionmaker

    res = make_resource(
        "大表",
        open_type="unconditional",
        items=PEOPLE_ITEMS,
        department=departments["police"],
        state="published",
        actor=officer,
    )
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sfzh", "xm", "jd", "rs"])
        for i in range(ROWS):
            w.writerow([cid(i), f"王{i % 97}明", "橘子洲街道" * 4, i])
    assert datasets.import_file(db, actor=officer, resource_id=res.id, path=path, filename="big.csv").ok
    actor = access.portal_actor()
    dv, masks = datasets.open_export(db, actor=actor, resource_id=res.id)
    factory = make_sessionmaker(engine)
    names = [s.name for s in datasets.specs_of(dv)]

    tracemalloc.start()
    total = 0
    for chunk in downloads.csv_stream(names, datasets.iter_rows(factory, dv, masks)):
        total += len(chunk)
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total > 3_500_000  # the file is large ...
    assert peak < 2_500_000, peak  # ... the memory held is not (the same at 100,000 rows)

    tracemalloc.start()
    out = downloads.xlsx_file(names, datasets.iter_rows(factory, dv, masks), "大表")
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    try:
        assert peak < 16_000_000, peak  # openpyxl keeps its shared-strings table in memory
    finally:
        import os

        os.unlink(out)
