"""Schemathesis over the geo OpenAPI documents (OGC API Features' own `/ogc/features/api`; the geo JSON APIs and OGC
API Tiles in the app's `/api/openapi.json`), anonymously and with a department officer's token, against a live server
with a small parks layer: no 5xx and no answer outside its documented schema, whatever the input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.geo.layers.conftest import ITEMS, layer_actors, layer_users, parks_layer  # noqa: F401 - fixtures
from tests.helpers.browser import LiveServer
from zhicheng.geo.layers.service import collection_id

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,response_schema_conformance"
GEO_PATHS = "^/(api/v1/geo/|ogc/tiles)"


def _schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    return found


def _config(folder: Path, collection: str) -> Path:
    """The parks layer's collection id for the path parameters, so that fuzzing reaches past 404 into the data
    paths (feature 1 is its first park)."""
    path = folder / "schemathesis.toml"
    path.write_text(
        "[parameters]\n"
        f'"path.collectionId" = "{collection}"\n'
        f'"path.collection_id" = "{collection}"\n'
        f'"path.cid" = "{collection}"\n'
        f'"path.code" = "{collection}"\n'
        '"path.featureId" = "1"\n'
        '"path.tms" = "WebMercatorQuad"\n',
        encoding="utf-8",
    )
    return path


def _run(st: str, schema: str, config: Path, *extra: str) -> None:
    args = [st, "--config-file", str(config), "--no-color", "run", schema, "--checks", CHECKS,
            "--max-examples", "5", "--seed", "20261207", "--request-timeout", "30", "--workers", "1", *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=config.parent)
    out = done.stdout
    start = out.find("FAILURES")
    summary = out[start:start + 12000] if start >= 0 else out[-4000:]
    print(summary)
    assert done.returncode == 0, summary


def test_geo_apis_give_no_server_error_or_schema_violation(app, parks_layer, layer_users, auth_headers,  # noqa: F811
                                                           tmp_path):
    st = _schemathesis()
    config = _config(tmp_path, collection_id(parks_layer.code))
    token = auth_headers(layer_users["officer"])["Authorization"]
    server = LiveServer(app).start()
    try:
        for headers in ((), ("-H", f"Authorization: {token}")):
            _run(st, f"{server.url}/ogc/features/api", config, *headers)
            _run(st, f"{server.url}/api/openapi.json", config, "--include-path-regex", GEO_PATHS, *headers)
    finally:
        server.stop()
