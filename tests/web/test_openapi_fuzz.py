"""Schemathesis over the whole OpenAPI document, as an anonymous caller and with a department user's token: no
5xx and no answer outside its documented schema, whatever the input."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.browser import LiveServer
from tests.opendata_api.helpers import open_catalog  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,response_schema_conformance"
# operations that end the caller's own session: fuzzing them with the token would leave the rest unauthenticated
SESSION_ENDERS = ("/api/v1/auth/logout", "/api/v1/me/password")


def _schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    return found


def _config(folder: Path, catalog) -> Path:
    """Existing ids for the path parameters, so that fuzzing reaches past 404 into the data paths."""
    air = catalog.air.id
    path = folder / "schemathesis.toml"
    path.write_text(
        "[parameters]\n"
        f'"path.dataset_id" = {air}\n'
        f'"path.resource_id" = {air}\n',
        encoding="utf-8",
    )
    return path


def _run(st: str, url: str, config: Path, *extra: str) -> None:
    args = [st, "--config-file", str(config), "--no-color", "run", f"{url}/openapi.json", "--checks", CHECKS,
            "--max-examples", "10", "--seed", "20261207", "--request-timeout", "30", *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, cwd=config.parent)
    out = done.stdout
    start = out.find("FAILURES")
    summary = out[start:start + 12000] if start >= 0 else out[-4000:]
    print(summary)
    assert done.returncode == 0, summary


def test_no_server_error_or_schema_violation_anonymous_or_as_a_department_user(
        app, open_catalog, make_user, auth_headers, departments, tmp_path):  # noqa: F811
    st = _schemathesis()
    config = _config(tmp_path, open_catalog)
    user = make_user("fuzz_dept_user", roles=("dept_user",), department=departments["police"])
    token = auth_headers(user)["Authorization"]
    server = LiveServer(app).start()
    try:
        _run(st, server.url, config)
        excluded = [arg for path in SESSION_ENDERS for arg in ("--exclude-path", path)]
        _run(st, server.url, config, "-H", f"Authorization: {token}", *excluded)
    finally:
        server.stop()
