"""Personal fields: the providing department reads them plain; any other reader (even the platform admin) masked."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.datasets.conftest import person, write_csv
from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service
from zhicheng.policy.models import AuditEntry


def _import(db, people, officers, tmp_path, n=5):
    path = write_csv(tmp_path / "人口.csv", [person(i) for i in range(n)])
    assert service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                               filename="人口.csv").ok


def test_provider_reads_plain_and_admin_reads_masked(db, people, officers, tmp_path, make_user, departments):
    _import(db, people, officers, tmp_path)
    plain_id = person(0)[0]

    cols, rows = service.read_rows(db, actor=officers["police"], resource_id=people.id)
    assert rows[0][cols.index("sfzh")] == plain_id

    admin = accounts.actor_for(make_user("mask_admin", roles=["admin"], department=departments["data_bureau"]))
    cols, rows = service.read_rows(db, actor=admin, resource_id=people.id)
    row = dict(zip(cols, rows[0], strict=True))
    assert row["sfzh"] != plain_id and row["sfzh"][:4] == plain_id[:4] and row["sfzh"][-4:] == plain_id[-4:]
    assert "*" in row["sfzh"] and "*" in row["sjhm"] and "*" in row["xm"]
    assert row["jzrs"] == rows[0][cols.index("jzrs")]  # not personal: untouched
    assert "*" not in str(row["jzrs"])

    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dataset.read")
                       .order_by(AuditEntry.seq.desc())).first()
    assert "sfzh" in entry.detail["masked"]


def test_csv_download_is_masked_for_another_department(client, db, people, officers, tmp_path, make_user,
                                                       departments, auth_headers):
    _import(db, people, officers, tmp_path, n=3)
    admin = make_user("mask_admin2", roles=["admin"], department=departments["data_bureau"])
    r = client.get(f"/api/v1/catalog/resources/{people.id}/versions/1/rows?format=csv",
                   headers=auth_headers(admin))
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 3
    assert all("*" in row["公民身份号码"] for row in rows)  # the header is the items' Chinese labels
    assert person(0)[0] not in r.text
