"""The real clients GIS users run, against a live server: OWSLib's OGC API - Features client and GDAL's OAPIF
driver (ogrinfo, ogr2ogr) with a bbox and a CQL2 filter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers.served import environ, free_port, healthy, running
from zhicheng.geo.layers import service

GDAL = shutil.which("ogrinfo")


@pytest.fixture
def live(settings, parks_layer, closed_layer, db):
    """The OGC API's URL on a live server (as `served`, with more time to start: on a busy two-core machine the
    app's imports alone take half a minute), and the parks collection's id."""
    db.commit()
    base = f"http://127.0.0.1:{free_port()}"
    argv = [sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app", "--host", "127.0.0.1",
            "--port", base.rsplit(":", 1)[1], "--log-level", "warning", "--no-access-log"]
    with running(argv, env=environ(settings), ready=lambda _p: healthy(base), timeout=240):
        yield base + "/ogc/features", service.collection_id(parks_layer.code)


def test_owslib_reads_collections_items_bbox_filter_and_queryables(live):
    from owslib.ogcapi.features import Features

    url, cid = live
    api = Features(url, timeout=30)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    ids = [c["id"] for c in api.collections()["collections"]]
    assert ids == [cid]  # the closed layer is not listed for the public
    assert api.collection(cid)["title"] == "城市公园"
    everything = api.collection_items(cid, limit=100)
    assert everything["numberMatched"] == 7 and len(everything["features"]) == 7
    boxed = api.collection_items(cid, bbox=[112.95, 28.18, 112.99, 28.20], limit=100)
    assert {f["properties"]["mc"] for f in boxed["features"]} == {"天心阁", "橘子洲", "晓园公园", "岳麓山公园"}
    filtered = api.collection_items(cid, filter="mj > 100 AND lx <> '山林'", sortby=("mj", "desc"), limit=100)
    assert [f["properties"]["mc"] for f in filtered["features"]] == ["洋湖湿地", "烈士公园", "月湖公园"]
    assert set(api.collection_queryables(cid)["properties"]) == {"fw", "mc", "lx", "mj", "rs", "jcrq"}
    one = api.collection_item(cid, "2")
    assert one["properties"]["mc"] == "橘子洲" and one["properties"]["lxdh"] == "138****0002"
    paged = api.collection_items(cid, limit=2, offset=6)
    assert paged["numberReturned"] == 1 and any(link["rel"] == "prev" for link in paged["links"])


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env={"GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "OFF", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(GDAL is None, reason="GDAL's ogrinfo is not installed (Debian gdal-bin)")
def test_gdal_ogrinfo_lists_and_reads_with_bbox_and_where(live, db):
    url, cid = live
    listing = _run("ogrinfo", "-ro", "-so", f"OAPIF:{url}")
    assert cid in listing
    summary = _run("ogrinfo", "-ro", "-so", f"OAPIF:{url}", cid)
    assert "Feature Count: 7" in summary, summary
    boxed = _run("ogrinfo", "-ro", "-q", f"OAPIF:{url}", cid, "-spat", "112.95", "28.18", "112.99", "28.20")
    assert boxed.count("OGRFeature(") == 4 and "天心阁" in boxed
    where = _run("ogrinfo", "-ro", "-q", f"OAPIF:{url}", cid, "-where", "mj > 100 AND lx <> '山林'")
    assert where.count("OGRFeature(") == 3 and "洋湖湿地" in where and "岳麓山公园" not in where
    both = _run("ogrinfo", "-ro", "-q", f"OAPIF:{url}", cid, "-spat", "112.95", "28.18", "113.02", "28.26",
                "-where", "rs >= 12000")
    assert both.count("OGRFeature(") == 3  # 岳麓山公园 (its square reaches the box), 橘子洲, 烈士公园
    # GDAL sent the bbox and the filter to the server (CQL2 text), which answered them: the audit log says so
    from sqlalchemy import select

    from zhicheng.policy.models import AuditEntry

    db.rollback()
    details = [e.detail for e in db.scalars(select(AuditEntry).where(AuditEntry.action == "geo.features.read"))]
    assert any(d.get("filter") and "mj" in d["filter"] for d in details)
    assert any(d.get("bbox") and d.get("filter") and "rs" in d["filter"] for d in details)


@pytest.mark.skipif(GDAL is None, reason="GDAL's ogr2ogr is not installed (Debian gdal-bin)")
def test_gdal_ogr2ogr_copies_the_layer_to_geojson(live, tmp_path):
    url, cid = live
    out = tmp_path / "parks.geojson"
    _run("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{url}", cid, "-where", "lx = '湿地' OR lx = '纪念'")
    doc = json.loads(out.read_text("utf-8"))
    assert {f["properties"]["mc"] for f in doc["features"]} == {"洋湖湿地", "烈士公园"}
