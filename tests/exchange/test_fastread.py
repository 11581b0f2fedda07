"""The fast page reader and the column maskers give exactly what the one-by-one path gives (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime
from decimal import Decimal

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhicheng.catalog.datasets import fastread, rowstore
from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.exchange.masking_rules import service as masking_rules
from zhicheng.policy import masking

# text that exercises every branch: spaces and dashes to squeeze, padding to strip, e-mail @, newlines,
# address units (and 小区), Chinese and Latin
ALPHABET = list("ab12 -@.\t\u3000\n\r*张三欧阳湖南省长沙市岳麓区小区街道镇乡自治县旗路号")
values = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet=st.sampled_from(ALPHABET), max_size=40),
    st.text(max_size=300),
    st.integers(-(10**6), 10**6),
)
params = st.fixed_dictionaries(
    {
        "keep_first": st.integers(0, 32),
        "keep_last": st.integers(0, 32),
        "char": st.sampled_from(list("*#-_·'\\%")),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(masking_rules.KINDS)),
    column=st.lists(values, max_size=30),
    custom=st.one_of(st.none(), params),
)
def test_a_column_masker_equals_the_value_masker(kind, column, custom):
    rule = dict(masking_rules.DEFAULTS[kind])
    if custom and "keep_first" in rule:
        rule.update({k: v for k, v in custom.items() if k in rule})
    one = masking.masker(kind, rule)
    assert masking.column_masker(kind, rule)(list(column)) == [one(v) for v in column]


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(sorted(masking_rules.KINDS)),
    custom=params,
    column=st.lists(
        st.text(alphabet=st.sampled_from(list("ab12-@.*张三湖南省长沙市区街道")), min_size=1, max_size=40),
        min_size=1,
        max_size=30,
    ),
)
def test_a_column_of_clean_text_is_masked_like_each_value(kind, custom, column):
    rule = {
        **masking_rules.DEFAULTS[kind],
        **{k: v for k, v in custom.items() if k in masking_rules.DEFAULTS[kind]},
    }
    one = masking.masker(kind, rule)
    assert masking.column_masker(kind, rule)(list(column)) == [one(v) for v in column]


@pytest.mark.parametrize("kind", sorted(masking_rules.KINDS))
def test_column_maskers_follow_the_defaults_of_the_issue(kind):
    sample = masking_rules.EXAMPLES[kind]
    assert masking.column_masker(kind, masking_rules.DEFAULTS[kind])([sample, None, ""]) == [
        masking_rules.example(kind, masking_rules.DEFAULTS[kind]),
        None,
        "",
    ]


# -- pages from a real version table -------------------------------------------------------------------------

SPECS = [
    ItemSpec(name="sfzh", label="公民身份号码", type=ItemType.STRING, length=18, personal=True),
    ItemSpec(name="xm", label="姓名", type=ItemType.STRING, length=50, personal=True),
    ItemSpec(name="zz", label="住址", type=ItemType.TEXT, personal=True),
    ItemSpec(name="nl", label="年龄", type=ItemType.INTEGER),
    ItemSpec(name="csrq", label="出生日期", type=ItemType.DATE),
    ItemSpec(name="je", label="金额", type=ItemType.DECIMAL, length=12, scale=2),
    ItemSpec(name="sj", label="登记时间", type=ItemType.DATETIME),
    ItemSpec(name="yx", label="有效", type=ItemType.BOOLEAN),
]
NAMES = [s.name for s in SPECS]
MASKS = {"sfzh": "citizen_id", "xm": "name", "zz": "address"}
counter = itertools.count(1)


def person(i: int) -> list:
    return [
        f"4301021990{i % 12 + 1:02d}01{i:04d}" if i % 7 else None,
        "张三丰"[: 1 + i % 3] if i % 5 else " 李四 ",
        f"湖南省长沙市岳麓区岳麓街道麓山南路{i}号" if i % 4 else "小区",
        None if i % 6 == 0 else 20 + i % 9,
        date(1990, 1, 1 + i % 28) if i % 3 else None,
        Decimal(f"{i}.25") if i % 2 else None,
        datetime(2026, 1, 1, 8, i % 60, 5) if i % 5 else None,
        [True, False, None][i % 3],
    ]


def make_table(conn, rows: list[list], specs=SPECS) -> sa.Table:
    table = rowstore.build_table(rowstore.table_name(900_000 + next(counter), 1), specs)
    table.create(conn)
    if rows:
        names = [c.name for c in table.columns]
        conn.execute(table.insert(), [dict(zip(names, [n, *r], strict=True)) for n, r in enumerate(rows, 1)])
    return table


def reference(conn, table, columns, masks, where=(), order=()):
    """Every row the pages should give, read in one query through SQLAlchemy and masked one value at a time."""
    stmt = sa.select(*[table.c[n] for n in columns])
    if where:
        stmt = stmt.where(*where)
    keys = [table.c[n].desc().nulls_last() if d else table.c[n].asc().nulls_first() for n, d in order]
    rows = conn.execute(stmt.order_by(*keys, table.c[rowstore.ROW_COLUMN])).fetchall()
    ones = {
        i: masking.masker(k, masking_rules.DEFAULTS[k]) for i, n in enumerate(columns) if (k := masks.get(n))
    }
    return [[ones[i](v) if i in ones else v for i, v in enumerate(r)] for r in rows]


def walk(conn, table, columns, masks, size, order=(), where=(), fmt="json"):
    makers = {n: masking.column_masker(k, masking_rules.DEFAULTS[k]) for n, k in masks.items()}
    out, after, pages = [], None, 0
    while True:
        page = fastread.page_bytes(
            conn, table, columns, masks=makers, where=where, order=order, after=after, limit=size, fmt=fmt
        )
        if fmt == "json":
            items = orjson.loads(page.body)
            assert all(list(item) == list(columns) for item in items)
            out += [[item[n] for n in columns] for item in items]
        else:
            lines = list(csv.reader(io.StringIO(page.body.decode())))
            assert lines[0] == list(columns)
            out += lines[1:]
        assert page.count == (len(items) if fmt == "json" else len(lines) - 1) <= size
        pages += 1
        if page.next_key is None:
            return out, pages
        assert page.count == size
        after = page.next_key


def as_json(rows):
    return orjson.loads(orjson.dumps(rows, default=fastread.json_default))


@pytest.mark.parametrize("order", [(), (("nl", False),), (("nl", True), ("csrq", False)), (("xm", True),)])
def test_pages_walk_every_row_once_masked_as_the_reference(db, order):
    conn = db.connection()
    table = make_table(conn, [person(i) for i in range(47)])
    got, pages = walk(conn, table, NAMES, MASKS, 10, order=order)
    assert pages == 5
    assert got == as_json(reference(conn, table, NAMES, MASKS, order=order))
    db.rollback()


def test_typed_columns_and_filters_serialise_like_the_processed_rows(db):
    conn = db.connection()
    table = make_table(conn, [person(i) for i in range(30)])
    where = [table.c.nl >= 22]
    got, _ = walk(conn, table, ["je", "sj", "yx", "csrq", "nl"], {}, 7, where=where)
    assert got == as_json(reference(conn, table, ["je", "sj", "yx", "csrq", "nl"], {}, where=where))
    assert any(isinstance(v, str) and "." in v for v, *_ in got)  # decimals as text, not floats
    db.rollback()


def test_csv_pages_match_the_csv_writer(db):
    conn = db.connection()
    table = make_table(conn, [person(i) for i in range(12)])
    got, pages = walk(conn, table, ["xm", "nl", "csrq"], {"xm": "name"}, 5, fmt="csv")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(reference(conn, table, ["xm", "nl", "csrq"], {"xm": "name"}))
    assert pages == 3 and got == list(csv.reader(io.StringIO(buffer.getvalue())))
    db.rollback()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(alphabet=st.sampled_from(ALPHABET), max_size=25)),
            st.one_of(st.none(), st.integers(-5, 5)),
        ),
        max_size=40,
    ),
    size=st.integers(1, 12),
    desc=st.booleans(),
    by=st.sampled_from(["none", "k", "v"]),
)
def test_any_table_pages_like_one_query(db, rows, size, desc, by):
    specs = [
        ItemSpec(name="v", label="地址", type=ItemType.STRING, length=200, personal=True),
        ItemSpec(name="k", label="序号", type=ItemType.INTEGER),
    ]
    conn = db.connection()
    rows = [[v.replace("\x00", "") if v else v, k] for v, k in rows]
    table = make_table(conn, rows, specs)
    order = () if by == "none" else ((by, desc),)
    masks = {} if by == "v" else {"v": "address"}
    got, _ = walk(conn, table, ["v", "k"], masks, size, order=order)
    assert got == as_json(reference(conn, table, ["v", "k"], masks, order=order))
    db.rollback()


def test_newest_version_and_envelope(db, tmp_path, make_resource, departments):
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core.actor import SYSTEM

    resource = make_resource(
        "快速读取",
        department=departments["police"],
        state="published",
        items=[{"name": "xm", "label": "姓名", "type": "string", "length": 20}],
    )
    assert fastread.newest_version(db.connection(), resource.id) is None
    for n in (1, 2):
        path = tmp_path / f"v{n}.csv"
        path.write_text("xm\n" + "".join(f"人{i}\n" for i in range(n)), encoding="utf-8")
        assert datasets.import_file(
            db, actor=SYSTEM, resource_id=resource.id, path=path, filename=path.name
        ).ok
    info = fastread.newest_version(db.connection(), resource.id)
    assert (info.version, [s.name for s in info.specs], info.table.name) == (2, ["xm"], info.table_name)
    page = fastread.page_bytes(db.connection(), info.table, ["xm"], limit=10)
    assert orjson.loads(fastread.envelope({"count": page.count}, page.body)) == {
        "count": 2,
        "items": [{"xm": "人0"}, {"xm": "人1"}],
    }
    assert orjson.loads(fastread.envelope({}, b"[]")) == {"items": []}
