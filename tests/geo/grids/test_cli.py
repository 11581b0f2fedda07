"""`zhicheng geo grids generate|export|import` and `zhicheng geo components classes`: at the console, one line
for bad input and a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "zhicheng", "geo", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_generate_export_and_import_at_the_console(db, settings, grid_layers, tmp_path):
    communities, grids = grid_layers
    layer = grids.code.replace("/", "-")
    r = run(settings, "grids", "generate", layer, "--communities", communities.code)
    assert r.returncode == 0, r.stderr
    assert "第 1 版" in r.stdout and "square lattice" in r.stdout
    out = tmp_path / "grids.geojson"
    r = run(settings, "grids", "export", layer, str(out))
    assert r.returncode == 0, r.stderr
    cells = json.loads(out.read_text("utf-8"))["features"]
    assert len(cells) > 14
    r = run(settings, "grids", "import", layer, str(out))
    assert r.returncode == 0 and "第 2 版" in r.stdout, r.stderr
    cells[0]["properties"]["grid_code"] = "12345"
    out.write_text(json.dumps({"type": "FeatureCollection", "features": cells}), "utf-8")
    r = run(settings, "grids", "import", layer, str(out))
    assert r.returncode != 0 and "14" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2
    r = run(settings, "grids", "export", layer, str(tmp_path / "grids.shp"))
    assert r.returncode != 0 and "Traceback" not in r.stderr


def test_the_class_table_at_the_console(settings, engine):
    r = run(settings, "components", "classes")
    assert r.returncode == 0 and "0117  公用设施  消防栓" in r.stdout
