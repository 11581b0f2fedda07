"""Version numbers beyond a 32-bit integer are bad input for the changes API (schemathesis found a 500 on
PostgreSQL, where the version column overflowed)."""

from __future__ import annotations

from tests.geo.layers.conftest import ITEMS, layer_actors, layer_users, parks_layer  # noqa: F401 - fixtures
from zhicheng.geo.layers.service import collection_id


def test_a_version_too_large_is_a_422_naming_the_field(client, parks_layer):  # noqa: F811
    url = f"/api/v1/geo/layers/{collection_id(parks_layer.code)}/changes"
    r = client.get(url, params={"from": 796885224246, "to": 1})
    assert r.status_code == 422, r.text
    assert "from" in r.text
    assert client.get(url, params={"from": 1, "to": 2**31}).status_code == 422
