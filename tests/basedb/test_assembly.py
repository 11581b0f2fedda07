"""The data bureau assembles a 人口基础库 from the police's and the housing bureau's records: keys first, then
entity resolution for rows without a usable key; the police's values win, disagreements become conflicts sent
to the housing bureau, and every value says where it came from."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers.basedb import P1, P2, P3, P4
from zhicheng.basedb import flows, service
from zhicheng.basedb.templates import TEMPLATES
from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.core.workdays import service as deadlines


def records(db, actor, asm) -> dict[str, dict]:
    columns, rows = service.read_records(db, actor=actor, assembly_id=asm.id, limit=100)
    return {r[columns.index("name")]: dict(zip(columns, r, strict=True)) for r in rows}


def test_every_template_has_one_key_and_labelled_fields():
    keys = {code: t.key.name for code, t in TEMPLATES.items()}
    assert keys == {
        "population": "citizen_id",
        "legal_entity": "credit_code",
        "geo": "address_code",
        "credit": "credit_code",
        "license": "license_no",
        "housing": "house_code",
        "city_component": "component_code",
    }
    for t in TEMPLATES.values():
        assert sum(f.key for f in t.fields) == 1
        assert all(f.label and f.type for f in t.fields)
    assert TEMPLATES["population"].key.check == "citizen_id"
    assert TEMPLATES["legal_entity"].key.check == "credit_code"


def test_keys_and_entity_resolution_match_the_same_people(db, assembled, basedb_actors):
    asm, run, a, b = assembled
    assert run.state == "succeeded" and run.version == 1
    assert run.record_count == 5
    s = run.stats
    assert (s["by_key"], s["by_er"], s["keyless"]) == (1, 3, 4)
    got = records(db, basedb_actors["admin"], asm)
    assert set(got) == {"张三", "李四", "王五", "赵六", "孙七"}
    assert (
        got["张三"]["citizen_id"] == P1 and got["张三"]["mobile"] == "13800000001"
    )  # joined by name + birth
    assert got["王五"]["citizen_id"] == P3  # the wrong check digit never reaches the base database
    assert got["赵六"]["citizen_id"] == P4 and got["赵六"]["mobile"] == "13800000004"
    assert got["孙七"]["citizen_id"] is None and got["孙七"]["birth_date"] == date(1999, 9, 9)


def test_the_authoritative_value_wins_and_the_conflict_is_recorded(db, assembled, basedb_actors, departments):
    asm, run, a, b = assembled
    got = records(db, basedb_actors["admin"], asm)
    assert got["李四"]["address"] == "长沙市岳麓区麓山南路2号"  # the police's, not overwritten
    assert got["王五"]["address"] == "长沙市开福区湘江中路3号"  # the fallback fills what the police lack
    assert run.conflict_count == 1  # 張 三 is 张三 written differently: not a conflict
    prov = service.provenance(db, actor=basedb_actors["admin"], assembly_id=asm.id, key=P2, field="address")
    [field] = prov["fields"]
    assert field["source"]["resource_id"] == a and field["source"]["row"] == 2
    [conflict] = field["conflicts"]
    assert (
        conflict["value"] == "长沙市岳麓区麓山南路2号"
    )  # the base database's own value: plain for its bureau
    assert conflict["other_value"] == "长沙市岳麓区****"  # the housing bureau's personal data: masked
    assert conflict["source"]["resource_id"] == b and conflict["source"]["row"] == 1

    # the housing bureau finds the task in its inbox, due in ten working days; the police do not
    [task] = service.list_tasks(db, actor=basedb_actors["housing"])
    assert (
        task["resource_id"] == b
        and task["conflicts"] == 1
        and task["department_id"] == departments["housing"].id
    )
    assert task["due_date"] == deadlines.add_working_days(deadlines.china_today(), 10).isoformat()
    assert service.list_tasks(db, actor=basedb_actors["police"]) == []
    detail = service.read_task(db, actor=basedb_actors["housing"], task_id=task["id"])
    assert detail["items"][0]["other_value"] == "长沙市岳麓区麓山南路22号"  # its own value, plain
    assert detail["items"][0]["value"] != "长沙市岳麓区麓山南路2号"  # the police's personal data, masked
    with pytest.raises(Forbidden):
        service.resolve_task(db, actor=basedb_actors["police"], task_id=task["id"])
    assert (
        service.resolve_task(db, actor=basedb_actors["housing"], task_id=task["id"], note="已核实")["state"]
        == "resolved"
    )


def test_provenance_names_source_version_and_row_of_each_value(db, assembled, basedb_actors):
    asm, run, a, b = assembled
    prov = service.provenance(db, actor=basedb_actors["admin"], assembly_id=asm.id, key=P1)
    by = {f["field"]: f for f in prov["fields"]}
    assert prov["method"] == "er" and prov["score"] >= 0.85
    assert by["name"]["value"] == "张三" and by["name"]["source"] == {
        "index": 0,
        "resource_id": a,
        "name": "常住人口登记",
        "version": 1,
        "row": 1,
    }
    assert by["mobile"]["source"]["resource_id"] == b and by["mobile"]["source"]["row"] == 2
    assert by["sex"]["source"] is None and by["sex"]["value"] is None
    same = service.provenance(db, actor=basedb_actors["admin"], assembly_id=asm.id, row=prov["row"])
    assert same["key"] == P1


def test_a_second_run_is_a_new_version_and_supersedes_open_tasks(db, assembled, basedb_actors):
    asm, run, a, b = assembled
    again = flows.run_assembly(db, actor=basedb_actors["admin"], assembly_id=asm.id)
    assert again.version == 2 and again.record_count == 5
    tasks = service.list_tasks(db, actor=basedb_actors["admin"], state=None)
    assert sorted(t["state"] for t in tasks) == ["open", "superseded"]
    [listed] = service.list_assemblies(db, actor=basedb_actors["admin"])
    assert listed["last_run"]["version"] == 2 and listed["last_run"]["records"] == 5


def test_personal_fields_are_masked_for_readers_without_a_grant(db, assembled, basedb_actors):
    asm, run, a, b = assembled
    outside = service.read_records(db, actor=basedb_actors["city_admin"], assembly_id=asm.id, limit=10)[1]
    assert outside and all("*" in (r[0] or "*") and "*" in r[1] for r in outside)  # citizen ID, name masked
    assert service.list_assemblies(db, actor=basedb_actors["leader"])[0]["last_run"]["records"] == 5
    with pytest.raises(Forbidden):  # a leader sees the statistics, not the personal records
        service.read_records(db, actor=basedb_actors["leader"], assembly_id=asm.id)
    with pytest.raises(Forbidden):
        service.read_assembly(db, actor=basedb_actors["outsider"], assembly_id=asm.id)
    with pytest.raises(Forbidden):
        flows.run_assembly(db, actor=basedb_actors["police"], assembly_id=asm.id)


def test_generated_sources_are_matched_with_high_precision_and_recall(db, population, basedb_actors):
    asm, a, b, truth = population(rows=300, keyless_rate=0.1, conflict_rate=0.05)
    from sqlalchemy import select

    from zhicheng.basedb.models import AssemblyRun, Provenance

    run = db.scalar(select(AssemblyRun).where(AssemblyRun.assembly_id == asm.id))
    predicted = correct = 0
    for prov in db.scalars(select(Provenance).where(Provenance.run_id == run.id)):
        ra, rb = prov.rows.split(",")
        if ra and rb:
            predicted += 1
            correct += truth["truth_a"][int(ra) - 1] == truth["truth_b"][int(rb) - 1]
    assert correct / predicted >= 0.99  # precision
    assert correct / 300 >= 0.95  # recall (a rare typo in a key-less name may stay apart)
    assert run.stats["conflicts_by_field"].get("address", 0) >= truth["conflicts"] * 0.9


def test_reads_are_audited(db, assembled, basedb_actors):
    from sqlalchemy import select

    from zhicheng.policy.models import AuditEntry

    asm, run, a, b = assembled
    service.provenance(db, actor=basedb_actors["admin"], assembly_id=asm.id, row=1)
    with pytest.raises(Forbidden):
        service.read_assembly(db, actor=basedb_actors["outsider"], assembly_id=asm.id)
    actions = {(e.action, e.outcome) for e in db.scalars(select(AuditEntry))}
    assert ("basedb.assembly.provenance", "ok") in actions
    assert ("basedb.assembly.read", "denied") in actions
    assert ("dataset.read", "ok") in actions  # the sources, read by the run, and the record shown
    assert ("basedb.assembly.run", "ok") in actions


def test_a_source_mostly_without_keys_is_refused_with_the_field_at_fault(
    db, assembled, basedb_actors, monkeypatch
):
    from sqlalchemy import select

    from zhicheng.basedb import assembly
    from zhicheng.basedb.models import AssemblyRun

    asm, run, a, b = assembled
    monkeypatch.setattr(assembly, "MAX_POOL", 2)  # the housing bureau has 3 key-less rows
    with pytest.raises(Invalid) as err:
        flows.run_assembly(db, actor=basedb_actors["admin"], assembly_id=asm.id)
    assert err.value.field == "fields.citizen_id" and "住房保障对象" in err.value.zh
    failed = db.scalar(
        select(AssemblyRun).where(AssemblyRun.assembly_id == asm.id).order_by(AssemblyRun.id.desc())
    )
    assert failed.state == "failed" and failed.version is None and "住房保障对象" in failed.message
    assert (
        service.read_assembly(db, actor=basedb_actors["admin"], assembly_id=asm.id)["last_run"]["version"]
        == 1
    )
