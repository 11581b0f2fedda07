"""Schemathesis over the SensorThings API (`/sta/v1.1`) and the IoT API (`/api/v1/iot/*`) of the app's OpenAPI
document, against a live server with two registered devices: anonymously, with a device's token (the ingest and
create operations) and with an administrator's token. No 5xx, whatever the input. The fuzzing phase only, 5
examples an operation (about 160 requests a run), to stay under a minute on 2 cores; `--phases coverage,fuzzing`
and more examples by hand find more."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.browser import LiveServer
from tests.iot.conftest import stream

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error"
IOT_PATHS = r"^/(sta/v1\.1|api/v1/iot/)"


def _schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    return found


def _config(folder: Path, thing_id: int, datastream_id: int) -> Path:
    """Existing ids for the path parameters, so that fuzzing reaches past 404 into the data paths."""
    path = folder / "schemathesis.toml"
    path.write_text(
        "[parameters]\n"
        f'"path.thing_id" = {thing_id}\n'
        f'"path.datastream_id" = {datastream_id}\n',
        encoding="utf-8",
    )
    return path


def _run(st: str, url: str, config: Path, *extra: str) -> None:
    args = [st, "--config-file", str(config), "--no-color", "run", f"{url}/api/openapi.json", "--checks", CHECKS,
            "--include-path-regex", IOT_PATHS, "--max-examples", "5", "--seed", "20261208",
            "--phases", "fuzzing", "--request-timeout", "30", "--workers", "1", *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=config.parent)
    out = done.stdout
    start = out.find("FAILURES")
    summary = out[start:start + 12000] if start >= 0 else out[-4000:]
    print(summary)
    assert done.returncode == 0, summary


def test_iot_and_sensorthings_apis_give_no_server_error(app, db, world, auth_headers, tmp_path):
    st = _schemathesis()
    db.commit()
    config = _config(tmp_path, world.air.thing.id, stream(db, world.air, "pm25"))
    admin = auth_headers(world.admin)["Authorization"]
    server = LiveServer(app).start()
    try:
        for headers in ((), ("-H", f"Authorization: Bearer {world.air.token}"), ("-H", f"Authorization: {admin}")):
            _run(st, server.url, config, *headers)
    finally:
        server.stop()
