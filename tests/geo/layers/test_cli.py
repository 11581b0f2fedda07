"""`zhicheng geo layers` lists the layers with their index; `zhicheng geo index rebuild` rebuilds one or all."""

from __future__ import annotations

import pytest

from zhicheng.geo.layers import service


@pytest.fixture
def cli(geo_cli):
    return geo_cli


def test_layers_and_rebuild(cli, db, parks_layer, closed_layer):
    db.commit()
    cid = service.collection_id(parks_layer.code)
    out = cli("layers")
    assert out.exit_code == 0, out.output
    assert cid in out.output and "城市公园" in out.output and "内部设施点位" in out.output
    out = cli("index", "rebuild", cid)
    assert out.exit_code == 0, out.output
    assert f"{cid} v1: 7" in out.output
    out = cli("layers")
    assert "7 个要素" in out.output
    out = cli("index", "rebuild")
    assert out.exit_code == 0 and "v1: 2" in out.output
    out = cli("index", "rebuild", "999999999-999999")
    assert out.exit_code == 1 and "不存在" in out.exception.zh  # the CLI's main prints it as one line
