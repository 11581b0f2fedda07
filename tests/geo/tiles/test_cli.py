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


def _pmtiles_values(path, cid: str, item: str) -> set:
    from pmtiles.reader import MmapSource, Reader, all_tiles

    with open(path, "rb") as f:
        reader = Reader(MmapSource(f))
        view = reader.metadata()["view"]
        found = {feat["properties"].get(item) for (_z, _x, _y), data in all_tiles(reader.get_bytes)
                 for feat in mapbox_vector_tile.decode(data).get(cid, {}).get("features", [])}
    return view, found


def test_an_export_is_a_readers_view_never_the_systems(cli, db, parks_layer, closed_layer, layer_users, layer_actors,
                                                      make_resource, departments, tmp_path):
    """The public view by default (personal items masked); `--as` a user whose password is given for theirs; a layer
    the public may not see is refused, in one line."""
    from tests.helpers.accounts import DEFAULT_PASSWORD

    db.commit()
    cid = layers.collection_id(parks_layer.code)
    public = tmp_path / "public.pmtiles"
    assert cli("export", cid, str(public), "--zooms", "10").exit_code == 0
    view, phones = _pmtiles_values(public, cid, "lxdh")
    assert view == "public" and "13807310001" not in phones  # the personal item is masked or left out
    officer = tmp_path / "officer.pmtiles"
    out = cli("export", cid, str(officer), "--zooms", "10", "--as", layer_users["officer"].username,
              "--as-password", DEFAULT_PASSWORD)
    assert out.exit_code == 0, out.output
    view, _ = _pmtiles_values(officer, cid, "lxdh")
    assert view == f"user:{layer_users['officer'].username}"
    wrong = cli("export", cid, str(tmp_path / "x.pmtiles"), "--as", layer_users["officer"].username,
                "--as-password", "not-the-password")
    assert wrong.exit_code != 0 and not (tmp_path / "x.pmtiles").exists()
    closed = cli("export", layers.collection_id(closed_layer.code), str(tmp_path / "closed.pmtiles"), "--zooms", "10")
    assert closed.exit_code != 0 and not (tmp_path / "closed.pmtiles").exists()
    seeded = cli("seed", layers.collection_id(closed_layer.code), "--zooms", "10")
    assert seeded.exit_code != 0
    # open on conditions: a visitor needs an approved application and a key, so not in the public view either
    from tests.geo.layers.conftest import ITEMS, PARKS, write_geojson
    from zhicheng.catalog.datasets import service as datasets

    res = make_resource("有条件开放的点位", department=departments["housing"], state="published",
                        actor=layer_actors["officer"], items=ITEMS, open_type="conditional", spatial=True,
                        open_condition="仅限科研用途")
    path = tmp_path / "conditional.geojson"
    write_geojson(path, PARKS[:2])
    assert datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                filename=path.name).ok
    db.commit()
    out = cli("export", layers.collection_id(res.code), str(tmp_path / "c.pmtiles"), "--zooms", "10")
    assert out.exit_code != 0 and "conditions" in out.exception.en and not (tmp_path / "c.pmtiles").exists()
