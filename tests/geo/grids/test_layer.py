"""A grid layer through its life: generated from a community layer, edited, split, merged, exported and imported;
each change a new version with stable codes; bad input refused with nothing stored."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
import shapely
from openpyxl import load_workbook

from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.geo.grids import service
from zhicheng.geo.grids.metric import area_m2


def generated(db, grid_officer, grid_layers):
    communities, grids = grid_layers
    parents = service.parents_from_layers(db, actor=grid_officer, communities=communities.id)
    done = service.generate(db, actor=grid_officer, resource_id=grids.id, parents=parents)
    return grids, done, service.read_cells(db, actor=grid_officer, resource_id=grids.id)


def test_generation_gives_each_community_its_numbered_cells(db, grid_officer, grid_layers):
    grids, done, cells = generated(db, grid_officer, grid_layers)
    assert done["version"] == 1 and done["cells"] == len(cells) > 14
    assert "no road layer" in done["roads"]
    by_prefix: dict[str, list[str]] = {}
    for c in cells:
        code = c["grid_code"]
        assert len(code) == 14 and code[:9] == c["street_code"] and code[:6] == c["district_code"]
        by_prefix.setdefault(code[:12], []).append(code)
        assert math.isclose(float(c["area_m2"]), area_m2(c["geometry"]), rel_tol=2e-3)
    assert len(by_prefix) == 14  # one prefix per community
    for codes in by_prefix.values():  # sequences 01 … n without gaps
        assert sorted(int(c[-2:]) for c in codes) == list(range(1, len(codes) + 1))
    # 窑岭 (a 430111002… community in 430111001's street unit) keeps its own digits 016 (no clash)
    assert any(c.startswith("430111001016") for c in by_prefix)


def test_split_keeps_the_code_and_merge_keeps_the_lowest_and_codes_are_never_reused(db, grid_officer, grid_layers):
    grids, _, cells = generated(db, grid_officer, grid_layers)
    prefix = "430102001001"
    mine = sorted((c for c in cells if c["grid_code"].startswith(prefix)), key=lambda c: c["grid_code"])
    last = int(mine[-1]["grid_code"][-2:])
    target = max(mine, key=lambda c: c["geometry"].area)
    minx, miny, maxx, maxy = target["geometry"].bounds
    midx = (minx + maxx) / 2
    line = {"type": "LineString", "coordinates": [[midx, miny - 0.001], [midx, maxy + 0.001]]}
    out = service.split_cell(db, actor=grid_officer, resource_id=grids.id, code=target["grid_code"], line=line)
    assert out["version"] == 2
    parts = out["cells"]
    assert parts[0]["id"] == target["grid_code"]  # the western part keeps the code
    assert parts[1]["id"] == f"{prefix}{last + 1:02d}"
    assert shapely.geometry.shape(parts[0]["geometry"]).centroid.x < shapely.geometry.shape(parts[1]["geometry"]).centroid.x
    assert math.isclose(sum(p["properties"]["area_m2"] for p in parts), float(target["area_m2"]), rel_tol=2e-3)

    merged = service.merge_cells(db, actor=grid_officer, resource_id=grids.id,
                                 codes=[parts[1]["id"], parts[0]["id"]])
    assert merged["cell"]["id"] == target["grid_code"] and merged["retired"] == [parts[1]["id"]]
    again = service.split_cell(db, actor=grid_officer, resource_id=grids.id, code=target["grid_code"], line=line)
    assert again["cells"][1]["id"] == f"{prefix}{last + 2:02d}"  # the retired code is not handed out again
    versions = datasets.list_versions(db, actor=grid_officer, resource_id=grids.id)
    assert [v.version for v in versions] == [4, 3, 2, 1]
    first = service.read_cells(db, actor=grid_officer, resource_id=grids.id, version=1)
    assert len(first) == len(cells)  # the old version is still readable


def test_edit_changes_attributes_and_keeps_the_code(db, grid_officer, grid_layers):
    grids, _, cells = generated(db, grid_officer, grid_layers)
    code = cells[0]["grid_code"]
    out = service.update_cell(db, actor=grid_officer, resource_id=grids.id, code=code,
                              changes={"inspector": "张伟", "responsible_unit": "文艺路街道办事处"})
    assert out["cell"]["id"] == code and out["cell"]["properties"]["responsible_unit"] == "文艺路街道办事处"
    again = {c["grid_code"]: c for c in service.read_cells(db, actor=grid_officer, resource_id=grids.id)}
    assert again[code]["inspector"] == "张伟" and len(again) == len(cells)


def test_bad_edits_are_refused_and_nothing_is_stored(db, grid_officer, grid_layers):
    grids, _, cells = generated(db, grid_officer, grid_layers)
    code = cells[0]["grid_code"]
    beijing = {"type": "Polygon", "coordinates": [[[116.39, 39.9], [116.40, 39.9], [116.40, 39.91], [116.39, 39.9]]]}
    with pytest.raises(Invalid) as exc:
        service.update_cell(db, actor=grid_officer, resource_id=grids.id, code=code, changes={"geometry": beijing})
    assert exc.value.field == "geometry"
    with pytest.raises(Invalid) as exc:
        service.split_cell(db, actor=grid_officer, resource_id=grids.id, code=code,
                           line={"type": "LineString", "coordinates": [[116.0, 39.0], [116.1, 39.1]]})
    assert exc.value.field == "line"
    with pytest.raises(Invalid):
        service.merge_cells(db, actor=grid_officer, resource_id=grids.id, codes=[code, "43010200100"])
    with pytest.raises(NotFound):
        service.update_cell(db, actor=grid_officer, resource_id=grids.id, code="43010200100199", changes={})
    far = [c["grid_code"] for c in cells if c["grid_code"][:12] == code[:12]]
    with pytest.raises(Invalid):  # cells of two communities
        service.merge_cells(db, actor=grid_officer, resource_id=grids.id,
                            codes=[code, next(c["grid_code"] for c in cells if c["grid_code"][:12] != code[:12])])
    assert far
    assert [v.version for v in datasets.list_versions(db, actor=grid_officer, resource_id=grids.id)] == [1]


def test_export_round_trips_through_import(db, grid_officer, grid_layers, tmp_path):
    grids, _, cells = generated(db, grid_officer, grid_layers)
    body, media = service.export(db, actor=grid_officer, resource_id=grids.id, fmt="geojson")
    doc = json.loads(body)
    assert media == "application/geo+json" and len(doc["features"]) == len(cells)
    text, _ = service.export(db, actor=grid_officer, resource_id=grids.id, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert len(rows) == len(cells) and rows[0]["geometry"].startswith(("POLYGON", "MULTIPOLYGON"))
    xlsx, _ = service.export(db, actor=grid_officer, resource_id=grids.id, fmt="xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.max_row == len(cells) + 1 and sheet.cell(1, 1).value == "单元网格编码"
    path = tmp_path / "city_grids.geojson"
    path.write_bytes(body)
    done = service.import_grids(db, actor=grid_officer, resource_id=grids.id, path=path)
    assert done == {"version": 2, "cells": len(cells)}
    again = service.read_cells(db, actor=grid_officer, resource_id=grids.id)
    assert sorted(c["grid_code"] for c in again) == sorted(c["grid_code"] for c in cells)
    as_csv = tmp_path / "city_grids.csv"
    as_csv.write_bytes(text)
    assert service.import_grids(db, actor=grid_officer, resource_id=grids.id, path=as_csv)["version"] == 3
    with pytest.raises(Invalid):
        service.export(db, actor=grid_officer, resource_id=grids.id, fmt="shp")


def test_an_import_with_a_bad_code_or_a_cell_outside_china_stores_nothing(db, grid_officer, grid_layers, tmp_path):
    _, grids = grid_layers
    square = {"type": "Polygon", "coordinates": [[[112.98, 28.19], [112.981, 28.19], [112.981, 28.191],
                                                  [112.98, 28.191], [112.98, 28.19]]]}
    swapped = {"type": "Polygon", "coordinates": [[[y, x] for x, y in square["coordinates"][0]]]}
    for code, geom, field in (("4301020010010", square, "grid_code"), ("43010200100101", swapped, "geometry")):
        path = tmp_path / "bad.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": geom, "properties": {"grid_code": code}}]}), "utf-8")
        with pytest.raises(Invalid) as exc:
            service.import_grids(db, actor=grid_officer, resource_id=grids.id, path=path)
        assert exc.value.field.startswith(field)
    assert datasets.list_versions(db, actor=grid_officer, resource_id=grids.id) == []


def test_a_layer_loaded_as_plain_data_never_reuses_a_code_retired_by_a_merge(db, grid_officer, grid_layers, tmp_path):
    communities, grids = grid_layers
    parents = service.parents_from_layers(db, actor=grid_officer, communities=communities.id)
    cells = service.generate_cells(parents)  # written by the catalog import alone: no ledger yet (as the demo)
    service.write_cells(db, actor=grid_officer, resource_id=grids.id, cells=cells, note="plain")
    prefix = "430102001001"
    mine = sorted(c["grid_code"] for c in cells if c["grid_code"].startswith(prefix))
    by_code = {c["grid_code"]: c for c in cells}
    last = mine[-1]
    neighbour = next(c for c in reversed(mine[:-1]) if by_code[c]["geometry"].touches(by_code[last]["geometry"])
                     or by_code[c]["geometry"].intersection(by_code[last]["geometry"]).length > 0)
    out = service.merge_cells(db, actor=grid_officer, resource_id=grids.id, codes=[neighbour, last])
    assert out["retired"] == [last]
    kept = shapely.geometry.shape(out["cell"]["geometry"])
    minx, miny, maxx, maxy = kept.bounds
    line = {"type": "LineString", "coordinates": [[(minx + maxx) / 2, miny - 0.001], [(minx + maxx) / 2, maxy + 0.001]]}
    split = service.split_cell(db, actor=grid_officer, resource_id=grids.id, code=neighbour, line=line)
    new = [c["id"] for c in split["cells"][1:]]
    assert last not in new and all(int(c[-2:]) > int(last[-2:]) for c in new)
