"""A definition that cannot work is refused when it is made, naming the field at fault: a missing key,
an unknown field or item, a type mismatch, two authoritative sources, a circular reference."""

from __future__ import annotations

import copy

import pytest

from tests.helpers.basedb import HOUSING_ITEMS, HOUSING_ROWS, POLICE_ITEMS, POLICE_ROWS, fields
from zhicheng.basedb import flows, service
from zhicheng.core.errors import Forbidden, Invalid


@pytest.fixture
def setup(make_source, departments, basedb_actors):
    a = make_source("常住人口登记", POLICE_ITEMS, POLICE_ROWS, departments["police"])
    b = make_source("住房保障对象", HOUSING_ITEMS, HOUSING_ROWS, departments["housing"])
    return a, b, basedb_actors["admin"], departments["data_bureau"].id


def refused(db, actor, data) -> Invalid:
    with pytest.raises(Invalid) as err:
        flows.define_assembly(db, actor=actor, data=data)
    return err.value


def data(dept: int, defs: list[dict], **extra) -> dict:
    return {"name": "人口基础库", "template": "population", "department_id": dept, "fields": defs, **extra}


def test_definition_errors_name_the_field_at_fault(db, setup):
    a, b, admin, dept = setup
    good = fields(a, b)

    no_key = [d for d in good if d["field"] != "citizen_id"]
    err = refused(db, admin, data(dept, no_key))
    assert err.field == "fields" and "citizen_id" in err.en

    unknown = copy.deepcopy(good) + [{"field": "shoe_size", "source": {"resource_id": a, "item": "xm"}}]
    assert refused(db, admin, data(dept, unknown)).field == "fields.5.field"

    missing_item = copy.deepcopy(good)
    missing_item[1]["source"]["item"] = "xingming"
    err = refused(db, admin, data(dept, missing_item))
    assert err.field == "fields.1.source.item" and "xingming" in err.en

    missing_fallback = copy.deepcopy(good)
    missing_fallback[3]["fallbacks"][0]["resource_id"] = 99999
    assert refused(db, admin, data(dept, missing_fallback)).field == "fields.3.fallbacks.0.resource_id"

    wrong_type = copy.deepcopy(good)
    wrong_type[2]["source"]["item"] = "xm"  # birth_date (date) from a name (string)
    err = refused(db, admin, data(dept, wrong_type))
    assert err.field == "fields.2.source.item" and "type mismatch" in err.en

    two_sources = copy.deepcopy(good)
    two_sources[1]["source"] = [{"resource_id": a, "item": "xm"}, {"resource_id": b, "item": "xm"}]
    assert refused(db, admin, data(dept, two_sources)).field == "fields.1.source"

    twice = copy.deepcopy(good) + [{"field": "name", "source": {"resource_id": b, "item": "xm"}}]
    err = refused(db, admin, data(dept, twice))
    assert err.field == "fields.5.field" and "two authoritative sources" in err.en

    assert refused(db, admin, data(dept, good, template="people")).field == "template"
    assert refused(db, admin, data(dept, good, threshold=2)).field == "threshold"
    assert refused(db, admin, {**data(dept, good), "name": "x"}).field == "name"
    assert service.list_assemblies(db, actor=admin) == []  # nothing was half-made


def test_only_the_admin_defines(db, setup, basedb_actors):
    a, b, admin, dept = setup
    with pytest.raises(Forbidden):
        flows.define_assembly(db, actor=basedb_actors["police"], data=data(dept, fields(a, b)))


def test_circular_references_are_refused(db, setup):
    a, b, admin, dept = setup
    first = flows.define_assembly(db, actor=admin, data=data(dept, fields(a, b)))
    own = copy.deepcopy(fields(a, b))
    own[1]["fallbacks"] = [{"assembly_id": first.id, "item": "name"}]
    with pytest.raises(Invalid) as err:  # reads its own output
        service.update_assembly(db, actor=admin, assembly_id=first.id, data={"fields": own})
    assert "circular" in err.value.en

    # a second base database built on the first one's output, then the first one made to read the second's
    second_fields = copy.deepcopy(fields(a, b))
    second_fields[0]["fallbacks"].append({"assembly_id": first.id, "item": "citizen_id"})
    second = flows.define_assembly(db, actor=admin, data=data(dept, second_fields, name="人口基础库（二）"))
    loop = copy.deepcopy(fields(a, b))
    loop[0]["fallbacks"].append({"assembly_id": second.id, "item": "citizen_id"})
    with pytest.raises(Invalid) as err:
        service.update_assembly(db, actor=admin, assembly_id=first.id, data={"fields": loop})
    assert err.value.field == "fields" and "circular" in err.value.en
    assert "人口基础库（二）" in err.value.zh
