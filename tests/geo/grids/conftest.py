"""Fixtures of the grid tests: real (approximate) communities of 文艺路街道 and 侯家塘街道 as a community layer, an empty
grid layer, both of the housing bureau, and its officer."""

from __future__ import annotations

import csv

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service as datasets
from zhicheng.demo import geography
from zhicheng.geo.grids.service import GRID_ITEMS

STREETS = ("430102001", "430111001")  # 文艺路街道 (芙蓉区), 侯家塘街道 (雨花区)
COMMUNITY_ITEMS = [
    {"name": "code", "label": "社区代码", "type": "string", "length": 12, "required": True},
    {"name": "name", "label": "名称", "type": "string", "length": 100},
    {"name": "kind", "label": "类别", "type": "string", "length": 10},
    {"name": "street_code", "label": "街道代码", "type": "string", "length": 9},
    {"name": "district_code", "label": "区县代码", "type": "string", "length": 6},
    {"name": "ur_code", "label": "城乡分类", "type": "string", "length": 3},
    {"name": "boundary_note", "label": "边界说明", "type": "string", "length": 50},
    {"name": "geometry", "label": "边界", "type": "geometry", "required": True},
]


def some_communities():
    """The approximate communities of the two test streets (real codes and names)."""
    return [u for u in geography.communities() if u.parent_code in STREETS]


@pytest.fixture
def grid_officer(make_user, departments):
    user = make_user("grid_officer", roles=["data_officer"], department=departments["housing"])
    return accounts.actor_for(user)


@pytest.fixture
def grid_layers(db, make_resource, departments, grid_officer, tmp_path):
    """(community layer, grid layer) resources, the first holding the test communities as version 1."""
    communities = make_resource("社区近似边界", department=departments["housing"], state="published",
                                actor=grid_officer, items=COMMUNITY_ITEMS, spatial=True)
    grids = make_resource("万米单元网格", department=departments["housing"], state="published",
                          actor=grid_officer, items=GRID_ITEMS, spatial=True)
    path = tmp_path / "communities.csv"
    wanted = {u.code for u in some_communities()}
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(geography.COMMUNITY_COLUMNS))
        writer.writeheader()
        writer.writerows(r for r in geography.community_rows() if r["code"] in wanted)
    report = datasets.import_file(db, actor=grid_officer, resource_id=communities.id, path=path,
                                  filename=path.name)
    assert report.ok, report.errors
    return communities, grids
