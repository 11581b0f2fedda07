"""CQL2's temporal operators (text and JSON) on a date item through OGC API - Features, against the same
comparisons made in Python on the parks' build dates; a temporal operator on a text item is a 400."""

from __future__ import annotations

from datetime import date

import pytest

from tests.geo.layers.conftest import PARKS
from zhicheng.geo.layers import service

BASE = "/ogc/features"
BUILT = {p[0]: (date.fromisoformat(p[4]) if p[4] else None) for p in PARKS}


def names(client, layer, params) -> set[str]:
    r = client.get(f"{BASE}/collections/{service.collection_id(layer.code)}/items", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return {f["properties"]["mc"] for f in r.json()["features"]}


def want(test) -> set[str]:
    return {n for n, d in BUILT.items() if d is not None and test(d)}


D1, D2 = date(1950, 1, 1), date(2010, 1, 1)
CASES = [
    ("T_BEFORE(jcrq, DATE('1950-01-01'))", lambda d: d < D1),
    ("T_AFTER(jcrq, DATE('2010-01-01'))", lambda d: d > D2),
    ("T_EQUALS(jcrq, DATE('2010-01-01'))", lambda d: d == D2),
    ("T_DURING(jcrq, INTERVAL('1950-01-01', '2010-01-01'))", lambda d: D1 <= d <= D2),
    ("T_INTERSECTS(jcrq, INTERVAL('1950-01-01', '2010-01-01'))", lambda d: D1 <= d <= D2),
    ("T_DISJOINT(jcrq, INTERVAL('1950-01-01', '2010-01-01'))", lambda d: d < D1 or d > D2),
    ("T_AFTER(jcrq, INTERVAL('1950-01-01', '2010-01-01'))", lambda d: d > D2),
    ("T_DURING(jcrq, INTERVAL('1980-01-01', '..'))", lambda d: d >= date(1980, 1, 1)),
]


@pytest.mark.parametrize(("text", "test"), CASES, ids=[c[0].split("(")[0] + str(i) for i, c in enumerate(CASES)])
def test_temporal_text(client, parks_layer, text, test):
    got = names(client, parks_layer, {"filter": text, "filter-lang": "cql2-text"})
    assert got == want(test)


def test_temporal_json(client, parks_layer):
    import json

    doc = {"op": "t_during", "args": [{"property": "jcrq"}, {"interval": ["1950-01-01", "2010-01-01"]}]}
    got = names(client, parks_layer, {"filter": json.dumps(doc), "filter-lang": "cql2-json"})
    assert got == want(lambda d: D1 <= d <= D2)
    doc = {"op": "t_before", "args": [{"property": "jcrq"}, {"date": "1950-01-01"}]}
    assert names(client, parks_layer, {"filter": json.dumps(doc), "filter-lang": "cql2-json"}) == want(lambda d: d < D1)


def test_a_temporal_operator_on_text_is_refused(client, parks_layer):
    r = client.get(f"{BASE}/collections/{service.collection_id(parks_layer.code)}/items",
                   params={"filter": "T_AFTER(mc, DATE('2010-01-01'))"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert "filter" in r.text
