"""Fixtures of the address tests: the demo's address layer (generated once per session), its index, the labelled
set's module (bench/geocode_labelled.py), and the layer imported through the catalog for the database tests."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service as datasets

REPO = Path(__file__).resolve().parents[3]
DB_DISTRICTS = ("430102", "430104")  # 芙蓉区 and 岳麓区: the part of the layer the database tests import


@pytest.fixture(scope="session")
def layer_rows() -> list[dict]:
    from zhicheng.demo import addresses

    return list(addresses.records())


@pytest.fixture(scope="session")
def geocoder(layer_rows):
    from zhicheng.geo.addresses.index import AddressIndex
    from zhicheng.geo.addresses.match import Geocoder

    return Geocoder(AddressIndex(layer_rows))


@pytest.fixture(scope="session")
def labelled():
    spec = importlib.util.spec_from_file_location("geocode_labelled", REPO / "bench" / "geocode_labelled.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["geocode_labelled"] = module
    spec.loader.exec_module(module)
    return module


def layer_spec() -> dict:
    """The demo's declaration of the address layer (resources.json), as the catalog registers it."""
    doc = json.loads(resources.files("zhicheng.demo").joinpath("data", "resources.json").read_text("utf-8"))
    spec = copy.deepcopy(next(r for r in doc if r["key"] == "standard_addresses"))
    fields = ("name", "catalog_class", "subclass", "summary", "format", "file_formats", "share_type",
              "share_condition", "share_basis", "share_method", "open_type", "open_condition", "update_cycle", "tags",
              "spatial", "items")
    return {k: spec[k] for k in fields if k in spec}


def write_layer_csv(path: Path, rows: list[dict]) -> None:
    from zhicheng.demo import addresses
    from zhicheng.demo.generators import write_csv

    write_csv(path, addresses.COLUMNS, rows)


@pytest.fixture
def address_layer(db, make_resource, make_user, departments, layer_rows, tmp_path):
    """The address layer (two districts of it) registered, published and imported by 住建局's officer; returns
    (resource, officer actor, a reader of another bureau)."""
    from zhicheng.geo.addresses import service

    service.forget_indexes()
    officer = accounts.actor_for(make_user("addr_officer", roles=["data_officer"], department=departments["housing"]))
    reader = make_user("addr_reader", roles=["dept_user"], department=departments["police"])
    res = make_resource(department=departments["housing"], state="published", actor=officer, **layer_spec())
    path = tmp_path / "addresses.csv"
    write_layer_csv(path, [r for r in layer_rows if r["district_code"] in DB_DISTRICTS])
    report = datasets.import_file(db, actor=officer, resource_id=res.id, path=path, filename=path.name)
    assert report.ok, report.errors[:3]
    return res, officer, reader
