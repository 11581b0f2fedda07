"""A datetime item filtered through every door that binds a datetime against a version's rows: the sharing and open
row APIs (eq, ne, lt, lte, gt, gte, in, and the keyset cursor of a sort on it), CKAN's datastore_search filters and a
quality range rule. The importer stores Beijing time without an offset (on SQLite as text, microseconds only when
there are some); a value bound against it must be the same instant however it is written (with a T, with an offset)
and compare equal at the boundary, on SQLite as on PostgreSQL."""

from __future__ import annotations

import csv
import urllib.parse
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.helpers.quality import quality_actors  # noqa: F401
from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.quality import service as quality

ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 20},
    {"name": "sj", "label": "时间", "type": "datetime"},
]
# (name, the text in the file, the instant it is in Beijing time)
ROWS = [
    ("a", "2020-03-01 09:30:00", datetime(2020, 3, 1, 9, 30)),
    ("b", "2020-03-01 09:30:00", datetime(2020, 3, 1, 9, 30)),
    ("c", "2020-03-01 09:30:00.5", datetime(2020, 3, 1, 9, 30, 0, 500000)),
    ("d", "2020-03-02 00:00:00", datetime(2020, 3, 2)),
    ("e", "2020-02-29 23:59:59", datetime(2020, 2, 29, 23, 59, 59)),
    ("f", "", None),
    ("g", "2020-03-01T09:30:00", datetime(2020, 3, 1, 9, 30)),
    ("h", "2020-03-01T01:30:00Z", datetime(2020, 3, 1, 9, 30)),
]
AT = {"a", "b", "g", "h"}  # the rows at 2020-03-01 09:30:00 Beijing time
ALL = {r[0] for r in ROWS}
# (query, the rows it selects): the same instant written four ways, each operator at the boundary
QUERIES = [
    ("filter[sj]=2020-03-01 09:30:00", AT),
    ("filter[sj]=2020-03-01T09:30:00", AT),
    ("filter[sj]=2020-03-01T01:30:00Z", AT),
    ("filter[sj][eq]=2020-03-01T09:30:00%2B08:00", AT),
    ("filter[sj]=2020-03-01 09:30:00.5", {"c"}),
    ("filter[sj]=2020-03-02", {"d"}),
    ("filter[sj][ne]=2020-03-01T09:30:00", ALL - AT),
    ("filter[sj][lt]=2020-03-01T09:30:00", {"e"}),
    ("filter[sj][lte]=2020-03-01T09:30:00", AT | {"e"}),
    ("filter[sj][gt]=2020-03-01T09:30:00", {"c", "d"}),
    ("filter[sj][gte]=2020-03-01T09:30:00", AT | {"c", "d"}),
    ("filter[sj][gte]=2020-03-01T01:30:00Z", AT | {"c", "d"}),
    ("filter[sj][lte]=2020-03-01T01:30:00Z", AT | {"e"}),
    ("filter[sj][in]=2020-03-01T09:30:00,2020-03-02T00:00:00", AT | {"d"}),
    ("filter[sj][prefix]=2020-03-01", AT | {"c"}),
]


@pytest.fixture
def timed(db, client, tmp_path, make_resource, departments, make_grant, exchange_users, auth_headers):
    """An open resource of 公安局 with a datetime item, imported from a CSV and granted whole to 住建局."""
    ckan_search.clear_cache()
    res = make_resource("日期时间筛选测试", department=departments["police"], state="published", items=ITEMS,
                        open_type="unconditional", catalog_class="theme", subclass="environment")
    path = tmp_path / "times.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([i["name"] for i in ITEMS])
        writer.writerows([name, text] for name, text, _ in ROWS)
    report = datasets.import_file(db, actor=SYSTEM, resource_id=res.id, path=path, filename="times.csv")
    assert report.ok, report.errors[:3]
    make_grant(res, items=["mc", "sj"])
    ckan_search.clear_cache()
    urls = {"sharing": f"/api/v1/exchange/resources/{res.id}/rows", "open": f"/api/v1/open/datasets/{res.id}/rows"}
    headers = {"sharing": auth_headers(exchange_users["consumer_user"]), "open": {}}

    def read(api: str, query: str, size: int = 100) -> list[str]:
        seen, after = [], None
        for _ in range(20):
            extra = f"size={size}" + (f"&after={urllib.parse.quote(after)}" if after else "")
            r = client.get(f"{urls[api]}?{query}&{extra}" if query else f"{urls[api]}?{extra}", headers=headers[api])
            assert r.status_code == 200, (api, query, r.text)
            body = r.json()
            seen += [row["mc"] for row in body["items"]]
            if not (after := body["next"]):
                return seen
        raise AssertionError("more than 20 pages")

    return res, read


def test_the_importer_stores_beijing_time_as_the_database_keeps_timestamps(db, timed):
    res, _read = timed
    dv = datasets.get_version(db, actor=SYSTEM, resource_id=res.id)
    stored = db.execute(sa.text(f"SELECT sj FROM {dv.table_name} ORDER BY _row")).scalars().all()  # noqa: S608
    if db.get_bind().dialect.name == "sqlite":  # text, microseconds only when there are some, never an offset
        assert stored == ["2020-03-01 09:30:00", "2020-03-01 09:30:00", "2020-03-01 09:30:00.500000",
                          "2020-03-02 00:00:00", "2020-02-29 23:59:59", None, "2020-03-01 09:30:00",
                          "2020-03-01 09:30:00"]
    else:  # PostgreSQL: a timestamp without time zone
        assert stored == [when for _, _, when in ROWS]


def test_a_version_reads_its_datetimes_back_as_datetimes(db, timed):
    res, _read = timed
    dv = datasets.get_version(db, actor=SYSTEM, resource_id=res.id)
    table = rowstore.build_table(dv.table_name, datasets.specs_of(dv))
    got = [row[1] for row in rowstore.read_rows(db.connection(), table, limit=None)]
    assert got == [when for _, _, when in ROWS]


@pytest.mark.parametrize(("query", "want"), QUERIES)
@pytest.mark.parametrize("api", ["sharing", "open"])
def test_a_datetime_filter_selects_the_same_instant_however_written(timed, api, query, want):
    _res, read = timed
    assert set(read(api, query)) == want, (api, query)


@pytest.mark.parametrize("sort", ["sj", "-sj", "sj,mc", "-sj,-mc"])
@pytest.mark.parametrize("api", ["sharing", "open"])
def test_keyset_pages_on_a_datetime_sort_key_neither_skip_nor_repeat(timed, api, sort):
    _res, read = timed
    whole = read(api, f"sort={sort}")
    paged = read(api, f"sort={sort}", size=1)
    assert sorted(whole) == sorted(ALL) and paged == whole, (sort, paged, whole)
    key = {name: when for name, _, when in ROWS}
    ordered = [key[n] for n in whole if key[n] is not None]
    assert ordered == sorted(ordered, reverse=sort.startswith("-"))


@pytest.mark.parametrize(("filters", "want"), [
    ({"sj": "2020-03-01 09:30:00"}, AT),
    ({"sj": "2020-03-01T01:30:00Z"}, AT),
    ({"sj": ["2020-03-01T09:30:00", "2020-02-29T23:59:59"]}, AT | {"e"}),
])
def test_ckan_datastore_search_filters_on_a_datetime(client, db, timed, filters, want):
    res, _read = timed
    pkg = client.post("/api/3/action/package_show", json={"id": res.code}).json()["result"]
    rid = pkg["resources"][0]["id"]
    r = client.post("/api/3/action/datastore_search", json={"resource_id": rid, "filters": filters, "limit": 100})
    assert r.status_code == 200, r.text
    assert {rec["mc"] for rec in r.json()["result"]["records"]} == want, filters


def test_a_quality_range_on_a_datetime_is_inclusive_at_both_bounds(db, timed, quality_actors):  # noqa: F811
    res, _read = timed
    rule = quality.define_rule(db, actor=quality_actors["officer"], resource_id=res.id, data={
        "kind": "range", "item": "sj", "params": {"min": "2020-03-01 09:30:00", "max": "2020-03-01 09:30:00.5"}})
    quality.run(db, actor=quality_actors["officer"], resource_id=res.id)
    report = quality.report(db, actor=quality_actors["officer"], resource_id=res.id)
    found = next(f for f in report["findings"] if f["rule_id"] == rule.id)
    assert found["failed"] == 2 and sorted(s["row"] for s in found["samples"]) == [4, 5], found


def test_the_datetime_column_binds_the_stored_text_as_a_parameter_and_keeps_its_ddl():
    from datetime import timedelta, timezone

    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateTable

    from zhicheng.catalog.datasets.rowquery import filters
    from zhicheng.catalog.items import ItemSpec

    table = rowstore.build_table("ds_1_v1", [ItemSpec(name="sj", label="时间", type="datetime")])
    memory = sa.create_engine("sqlite://")
    utc = datetime(2020, 3, 1, 1, 30, tzinfo=UTC)
    for value, text in [(datetime(2020, 3, 1, 9, 30), "2020-03-01 09:30:00"), (utc, "2020-03-01 09:30:00"),
                        (datetime(2020, 3, 1, 9, 30, 0, 500), "2020-03-01 09:30:00.000500"),
                        (datetime(2020, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))), "2020-03-01 09:30:00")]:
        assert str(filters.condition(table.c.sj, "eq", value).compile(dialect=sqlite.dialect())) == "ds_1_v1.sj = ?"
        with memory.connect() as conn:  # the text SQLite is handed, as a function of unknown type sees it
            sent = sa.bindparam("v", value, type_=table.c.sj.type)
            assert conn.execute(sa.select(sa.func.substr(sent, 1))).scalar() == text, value
        pg = filters.condition(table.c.sj, "lte", value).compile(dialect=postgresql.dialect())
        assert "%(" in str(pg) and value.strftime("%Y") not in str(pg)
    assert "sj DATETIME" in str(CreateTable(table).compile(dialect=sqlite.dialect()))
    assert "sj TIMESTAMP WITHOUT TIME ZONE" in str(CreateTable(table).compile(dialect=postgresql.dialect()))
