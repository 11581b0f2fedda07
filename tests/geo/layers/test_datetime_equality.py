"""A datetime property as an equality query parameter (OGC API - Features Part 1) and in CQL2 comparisons: the
instant the importer stored (Beijing time, on SQLite the text '2020-03-15 09:30:00') however the value is written,
equal at the boundary of <= and >=."""

from __future__ import annotations

import pytest

from tests.geo.layers.test_cql_temporal import events_layer, items, names  # noqa: F401

AT_0315 = {"K 被交叠", "S 一日"}  # the events starting 2020-03-15 09:30


@pytest.mark.parametrize("value", ["2020-03-15 09:30:00", "2020-03-15T09:30:00", "2020-03-15T01:30:00Z",
                                   "2020-03-15T09:30:00+08:00"])
def test_an_equality_parameter_on_a_datetime_finds_the_stored_instant(client, events_layer, value):  # noqa: F811
    status, doc = items(client, events_layer, {"kssj": value})
    assert status == 200, doc
    assert {f["properties"]["mc"] for f in doc["features"]} == AT_0315, value


def test_cql2_comparisons_on_a_datetime_hold_at_the_boundary(client, events_layer):  # noqa: F811
    at = "TIMESTAMP('2020-03-15T01:30:00Z')"
    on_or_before = names(client, events_layer, f"kssj <= {at}")
    on_or_after = names(client, events_layer, f"kssj >= {at}")
    assert on_or_before & on_or_after == AT_0315
    assert names(client, events_layer, f"kssj = {at}") == AT_0315
    assert names(client, events_layer, f"kssj IN ({at}, TIMESTAMP('2020-03-01T09:30:00+08:00'))") >= AT_0315
