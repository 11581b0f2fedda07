"""Prepared statements give exactly what SQLAlchemy gives for the same statement: types converted both ways
(datetimes with their zone, dates, JSON, big integers, NULLs), in the session's transaction, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from zhicheng.core import clock
from zhicheng.core.prepared import Prepared

META = sa.MetaData()
THING = sa.Table(
    "prepared_thing",
    META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40)),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("day", sa.Date),
    sa.Column("doc", sa.JSON),
    sa.Column("big", sa.BigInteger),
)


@pytest.fixture
def conn(db):
    connection = db.connection()
    THING.create(connection)
    yield connection
    db.rollback()
    THING.drop(db.get_bind(), checkfirst=True)


def test_rows_match_sqlalchemys_own(conn):
    at = datetime(2026, 11, 22, 8, 30, 15, 123456, tzinfo=UTC)
    insert = Prepared(THING.insert().returning(THING.c.id), column_keys=["name", "at", "day", "doc", "big"])
    values = [
        {"name": "张三", "at": at, "day": date(2026, 2, 28), "doc": {"k": ["甲", 1, None]}, "big": 2**40},
        {"name": None, "at": None, "day": None, "doc": None, "big": None},
    ]
    ids = [insert.returning(conn, v)[0] for v in values]
    assert len(set(ids)) == 2
    query = sa.select(THING.c.id, THING.c.name, THING.c.at, THING.c.day, THING.c.doc, THING.c.big).where(
        THING.c.at > sa.bindparam("since")
    )
    since = {"since": at - timedelta(seconds=1)}
    got = Prepared(query).rows(conn, since)
    expected = conn.execute(query, since).all()
    assert [tuple(r) for r in got] == [tuple(r) for r in expected] and len(got) == 1
    row = got[0]
    assert row.name == "张三" and clock.aware(row.at) == at and row.day == date(2026, 2, 28)  # SQLite: naive UTC
    assert row.doc == {"k": ["甲", 1, None]} and row.big == 2**40 and row._asdict()["id"] == ids[0]
    everything = sa.select(THING.c.name, THING.c.doc).order_by(THING.c.id)
    assert [tuple(r) for r in Prepared(everything).rows(conn)] == [tuple(r) for r in conn.execute(everything)]
    count = Prepared(sa.select(sa.func.count()).select_from(THING))
    assert count.scalar(conn) == 2 and Prepared(query).first(conn, {"since": at}) is None


def test_writes_join_the_callers_transaction(conn, db):
    Prepared(THING.insert(), column_keys=["name"]).run(conn, {"name": "一"})
    bump = Prepared(THING.update().where(THING.c.name == sa.bindparam("old")).values(name=sa.bindparam("new")))
    assert bump.run(conn, {"old": "一", "new": "二"}) == 1
    assert conn.execute(sa.select(THING.c.name)).scalar_one() == "二"  # seen by SQLAlchemy in the same transaction
    db.rollback()
    fresh = db.connection()
    THING.create(fresh, checkfirst=True)
    assert fresh.execute(sa.select(sa.func.count()).select_from(THING)).scalar_one() == 0  # and undone with it


def test_statements_rendered_at_execution_are_refused(conn):
    expanding = Prepared(sa.select(THING.c.id).where(THING.c.name.in_(sa.bindparam("names", expanding=True))))
    with pytest.raises(ValueError, match="cannot be prepared"):
        expanding.rows(conn, {"names": ["a"]})
