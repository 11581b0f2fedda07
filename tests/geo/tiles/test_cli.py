"""`zhicheng geo tiles seed` fills the cache; `zhicheng geo tiles export` writes a PMTiles archive the `pmtiles`
reader opens, with tiles that decode to the layer's features; bad zooms are one line and a non-zero exit."""

from __future__ import annotations

import mapbox_vector_tile
import pytest

from zhicheng.geo.layers import service as layers


@pytest.fixture
def cli(geo_cli):
    return lambda *args: geo_cli("tiles", *args)


def test_seed_then_cached(cli, db, settings, parks_layer):
    db.commit()
    cid = layers.collection_id(parks_layer.code)
    out = cli("seed", cid, "--zooms", "8-10")
    assert out.exit_code == 0, out.output
    assert "0 个已缓存" in out.output
    assert list((settings.data / "tiles" / f"r{parks_layer.id}" / "v1").rglob("*.mvt"))
    again = cli("seed", cid, "--zooms", "8-10")
    assert again.exit_code == 0 and "0 个新瓦片" in again.output


def test_export_pmtiles_readable(cli, db, parks_layer, tmp_path):
    from pmtiles.reader import MmapSource, Reader, all_tiles

    db.commit()
    cid = layers.collection_id(parks_layer.code)
    out_file = tmp_path / "parks.pmtiles"
    out = cli("export", cid, str(out_file), "--zooms", "9-11")
    assert out.exit_code == 0, out.output
    with open(out_file, "rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert (header["min_zoom"], header["max_zoom"]) == (9, 11)
        assert reader.metadata()["vector_layers"][0]["id"] == cid
        names = set()
        for (_z, _x, _y), data in all_tiles(reader.get_bytes):
            for feat in mapbox_vector_tile.decode(data).get(cid, {}).get("features", []):
                names.add(feat["properties"]["mc"])
    assert "橘子洲" in names and len(names) == 7


@pytest.mark.parametrize("zooms", ["14-10", "a-b", "30", "1-2-3"])
def test_bad_zooms(cli, db, parks_layer, zooms):
    db.commit()
    out = cli("seed", layers.collection_id(parks_layer.code), "--zooms", zooms)
    assert out.exit_code != 0 and "zooms" in out.exception.en
