"""The CKAN listings cache (cachetools TTLCache per database engine): each database its own listings, a dropped
engine's listings gone with it (never served to a later engine, as an id() key could), kept for a minute, and
a catalog change seen on the next call."""

from __future__ import annotations

import gc

from sqlalchemy import text

from zhicheng.core.db import make_engine, make_sessionmaker
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.opendata.ckan.search import ListingCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_listings_are_kept_per_engine_for_a_minute(db, settings):
    clock = Clock()
    cache = ListingCache(ttl=60, timer=clock)
    loads: list[str] = []

    def load(tag: str):
        return lambda: loads.append(tag) or [tag]

    other_engine = make_engine(settings.db_url)
    with make_sessionmaker(other_engine)() as other:
        assert cache.get(db, "docs", 1, load("first")) == ["first"]
        assert cache.get(other, "docs", 1, load("second")) == ["second"]  # another engine: its own listing
        assert cache.get(db, "docs", 1, load("again")) == ["first"]  # kept
        clock.now = 61
        assert cache.get(db, "docs", 1, load("later")) == ["later"]  # a minute on: read again
        assert cache.get(db, "docs", 2, load("changed")) == ["changed"]  # the catalog changed
    other_engine.dispose()
    del other, other_engine
    gc.collect()
    assert len(cache._by_engine) == 1  # the dropped engine's listings went with it
    cache.forget()
    assert cache.get(db, "docs", 2, load("forgotten")) == ["forgotten"]
    assert loads == ["first", "second", "later", "changed", "forgotten"]


def test_package_list_sees_a_change_counted_by_another_worker(client, db, open_catalog):
    ckan_search.clear_cache()
    before = client.get("/api/3/action/package_list").json()["result"]
    # a change another worker committed: the counter moves in the database, no event reaches this process
    db.execute(text("UPDATE change_counter SET value = value + 1 WHERE name = 'catalog'"))
    db.execute(
        text("INSERT INTO change_counter (name, value) SELECT 'catalog', 1 WHERE NOT EXISTS "
             "(SELECT 1 FROM change_counter WHERE name = 'catalog')")
    )
    db.commit()
    version = ckan_search.changes.value(db, "catalog")
    assert client.get("/api/3/action/package_list").json()["result"] == before
    engine_cache = ckan_search.listings._by_engine[client.app.state.engine]
    assert [k for k in engine_cache if k[0] == "docs"] == [("docs", version)]  # the old version dropped
