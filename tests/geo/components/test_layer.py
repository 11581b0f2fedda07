"""A component layer: an inventory imported (checked, assigned to grids on the way), then reassigned in bulk when
the grid changes; a bad inventory stores nothing and the API answers problem+json."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import shapely

from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.errors import Invalid
from zhicheng.geo.components import service
from zhicheng.geo.components.service import COMPONENT_COLUMNS, COMPONENT_ITEMS
from zhicheng.geo.grids import service as grids

OWNER = "114301000000100303"


@pytest.fixture
def layers(db, make_resource, departments, grid_officer, grid_layers):
    communities, grid = grid_layers
    parents = grids.parents_from_layers(db, actor=grid_officer, communities=communities.id)
    grids.generate(db, actor=grid_officer, resource_id=grid.id, parents=parents)
    comps = make_resource("城市部件", department=departments["housing"], state="published", actor=grid_officer,
                          items=COMPONENT_ITEMS, spatial=True)
    return grid, comps


def inventory(path, cells, n: int = 400, seed: int = 3, **override) -> list[dict]:
    """n components at random points around the cells (some outside every cell)."""
    rnd = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds([c["geometry"] for c in cells])
    rows = []
    for k in range(1, n + 1):
        x, y = rnd.uniform(minx - 0.002, maxx + 0.002), rnd.uniform(miny - 0.002, maxy + 0.002)
        rows.append({"component_code": f"43010201{k % 17 + 1:02d}{k:06d}", "category": "", "subcategory": "",
                     "owner_unit": "长沙市城市管理和综合执法局", "owner_code": OWNER, "maintainer": "",
                     "maintainer_code": "", "condition": "完好", "street_code": "430102001", "grid_code": "",
                     "location": f"POINT ({x:.7f} {y:.7f})"})
    rows[0].update(override)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COMPONENT_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def brute(cells, wkt: str) -> str:
    p = shapely.from_wkt(wkt)
    return next((c["grid_code"] for c in sorted(cells, key=lambda c: c["grid_code"])
                 if c["geometry"].intersects(p)), "")


def stored(db, actor, resource_id) -> dict[str, dict]:
    names, rows = datasets.read_rows(db, actor=actor, resource_id=resource_id, limit=1000)
    out = {r[0]: dict(zip(names, r, strict=True)) for r in rows}
    for rec in out.values():
        rec["grid_code"] = rec["grid_code"] or ""  # an empty text is stored as NULL
    return out


def test_inventory_import_assigns_each_component_its_grid(db, grid_officer, layers, tmp_path):
    grid, comps = layers
    cells = grids.read_cells(db, actor=grid_officer, resource_id=grid.id)
    rows = inventory(tmp_path / "inv.csv", cells)
    index = grids.grid_index(db, actor=grid_officer, resource_id=grid.id)
    done = service.import_inventory(db, actor=grid_officer, resource_id=comps.id, path=tmp_path / "inv.csv",
                                    grids=index)
    assert done == {"version": 1, "components": 400}
    got = stored(db, grid_officer, comps.id)
    for r in rows:
        assert got[r["component_code"]]["grid_code"] == brute(cells, r["location"])
    assert any(g["grid_code"] for g in got.values()) and any(not g["grid_code"] for g in got.values())
    assert got["4301020102000001"]["subcategory"] == "污水井盖"  # the class names come from the code (0102)


def test_bulk_assignment_makes_a_new_version_after_the_grid_changes(db, grid_officer, layers, tmp_path):
    grid, comps = layers
    cells = grids.read_cells(db, actor=grid_officer, resource_id=grid.id)
    rows = inventory(tmp_path / "inv.csv", cells)
    service.import_inventory(db, actor=grid_officer, resource_id=comps.id, path=tmp_path / "inv.csv")
    assert not any(g["grid_code"] for g in stored(db, grid_officer, comps.id).values())
    index = grids.grid_index(db, actor=grid_officer, resource_id=grid.id)
    done = service.assign_layer(db, actor=grid_officer, resource_id=comps.id, grids=index)
    assert done["version"] == 2 and done["components"] == 400 and 0 < done["outside_grids"] < 400
    got = stored(db, grid_officer, comps.id)
    assert all(got[r["component_code"]]["grid_code"] == brute(cells, r["location"]) for r in rows)


@pytest.mark.parametrize("override, field", [
    ({"component_code": "4301029901000001"}, "component_code"),
    ({"owner_code": "114301000000100304"}, "owner_code"),
    ({"condition": "占用"}, "condition"),
    ({"location": "POINT (28.19 112.98)"}, "location"),
])
def test_a_bad_inventory_stores_nothing(db, grid_officer, layers, tmp_path, override, field):
    grid, comps = layers
    cells = grids.read_cells(db, actor=grid_officer, resource_id=grid.id)
    inventory(tmp_path / "inv.csv", cells, n=20, **override)
    with pytest.raises(Invalid) as exc:
        service.import_inventory(db, actor=grid_officer, resource_id=comps.id, path=tmp_path / "inv.csv")
    assert exc.value.field.startswith(field) and "line 2" in exc.value.field
    assert datasets.list_versions(db, actor=grid_officer, resource_id=comps.id) == []


def test_the_api_imports_assigns_and_answers_problem_json(client, db, auth_headers, grid_officer, layers, tmp_path):
    grid, comps = layers
    headers = auth_headers(accounts.get_user_by_username(db, "grid_officer"))
    grid_id, comp_id = grid.code.replace("/", "-"), comps.code.replace("/", "-")
    assert len(client.get("/api/v1/geo/components/classes").json()["classes"]) > 60
    ok = client.get("/api/v1/geo/components/codes/4301020117000001").json()
    assert ok["subclass_name"] == "消防栓" and ok["sequence"] == 1
    bad = client.get("/api/v1/geo/components/codes/43010201170000")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["field"] == "code"
    cells = grids.read_cells(db, actor=grid_officer, resource_id=grid.id)
    inventory(tmp_path / "inv.csv", cells, n=50)
    r = client.post(f"/api/v1/geo/components/{comp_id}/import", params={"grids": grid_id},
                    files={"file": ("inv.csv", (tmp_path / "inv.csv").read_bytes())}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["components"] == 50
    r = client.post(f"/api/v1/geo/components/{comp_id}/assign", json={"grids": grid_id}, headers=headers)
    assert r.status_code == 200 and r.json()["version"] == 2
    inventory(tmp_path / "bad.csv", cells, n=5, condition="坏了")
    r = client.post(f"/api/v1/geo/components/{comp_id}/import",
                    files={"file": ("bad.csv", (tmp_path / "bad.csv").read_bytes())}, headers=headers)
    assert r.status_code == 422 and r.json()["field"].startswith("condition")
    r = client.post(f"/api/v1/geo/components/{comp_id}/assign", json={"grids": comp_id}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "layer"  # a component layer is not a grid layer
