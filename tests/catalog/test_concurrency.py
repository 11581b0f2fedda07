"""Officers registering at the same moment still get distinct, consecutive resource codes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.helpers.catalog import resource_data
from zhicheng.catalog import codes
from zhicheng.catalog import service as catalog
from zhicheng.core.db import make_sessionmaker


def test_concurrent_registrations_get_unique_codes(engine, db, catalog_actors):
    factory = make_sessionmaker(engine)
    officer = catalog_actors["officer"]

    def register(n: int) -> str:
        with factory() as session:
            res = catalog.create_resource(session, actor=officer, data=resource_data(name=f"人口专题数据{n:02d}"))
            return res.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(register, range(24)))
    assert len(set(made)) == 24
    assert sorted(codes.parse_code(c).sequence for c in made) == list(range(1, 25))
    assert catalog.count_resources(db) == 24
