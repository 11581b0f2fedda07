"""One masking: a resource holding one item of every masked kind, read through every door that shows data (the
public portal's preview and download, CKAN's datastore_search, the open REST rows, the sharing API under a grant,
the catalog's rows, the base databases' value masker, a quality report's samples), shows the same masked value
for the same value; an admin's rule edit shows through every door on the very next call."""

from __future__ import annotations

import csv
import html
import io
from datetime import date
from types import SimpleNamespace

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.basedb.access import value_masker
from zhicheng.catalog.datasets import service as datasets
from zhicheng.catalog.items import ItemSpec
from zhicheng.core.actor import SYSTEM
from zhicheng.core.ids import citizen_id, credit_code
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.policy import masking
from zhicheng.quality import service as quality

ITEMS = [
    {"name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "personal": True,
     "check": "citizen_id"},
    {"name": "tyshxydm", "label": "统一社会信用代码", "type": "string", "length": 18, "sensitivity": "important",
     "check": "credit_code"},
    {"name": "sjhm", "label": "手机号码", "type": "string", "length": 11, "personal": True, "check": "mobile"},
    {"name": "xm", "label": "姓名", "type": "string", "length": 20, "personal": True},
    {"name": "zz", "label": "住址", "type": "string", "length": 100, "personal": True},
    {"name": "zb", "label": "居住地坐标", "type": "string", "length": 40, "personal": True},
    {"name": "yx", "label": "电子邮箱", "type": "string", "length": 60, "personal": True, "check": "email"},
    {"name": "yhkh", "label": "银行卡号", "type": "string", "length": 19, "personal": True},
    {"name": "bz", "label": "备注", "type": "string", "length": 20, "sensitivity": "important"},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6},
]
KIND = {"sfzh": "citizen_id", "tyshxydm": "credit_code", "sjhm": "mobile", "xm": "name", "zz": "address",
        "zb": "coordinates", "yx": "email", "yhkh": "bank_card", "bz": "default"}
ROW = {
    "sfzh": citizen_id.make("430102", date(1990, 3, 7), 123, "M"),
    "tyshxydm": credit_code.make("9", "1", "430100", "MA4L1234"),
    "sjhm": "13856785678",
    "xm": "欧阳娜娜",
    "zz": "湖南省长沙市岳麓区岳麓街道麓山南路932号",
    "zb": "112.938861,28.227781",
    "yx": "zhangsan@example.cn",
    "yhkh": "6222021234567890123",
    "bz": "ABCDEFGHIJ",
    "dqdm": "430104",
}
# the admin's edit: every kind masked otherwise, with another character
EDITS = {
    "citizen_id": {"keep_first": 6, "keep_last": 2, "char": "#"},
    "credit_code": {"keep_first": 2, "keep_last": 4, "char": "#"},
    "mobile": {"keep_first": 2, "keep_last": 2, "char": "#"},
    "name": {"keep_first": 2, "char": "#"},
    "address": {"cut_at": "city", "char": "#"},
    "coordinates": {"decimals": 1},
    "email": {"keep_first": 2, "char": "#"},
    "bank_card": {"keep_first": 4, "keep_last": 2, "char": "#"},
    "default": {"keep_first": 3, "keep_last": 0, "char": "#"},
}
HTML = {"Accept": "text/html"}


def expected(db) -> dict[str, str]:
    """Item → the one masked value every door must show, under the rules in force."""
    rules = masking.rules_in_force(db)
    return {n: rules.mask(ROW[n], k) for n, k in KIND.items()}


@pytest.fixture
def doors(db, client, tmp_path, make_resource, departments, make_user, exchange_users, make_grant, auth_headers):
    """公安局 publishes and opens the resource (three rows alike), 住建局 holds a grant of every item, a quality
    rule fails on every masked item; `read()` reads the first row through every door."""
    ckan_search.clear_cache()
    res = make_resource("全口径脱敏测试", department=departments["police"], state="published", items=ITEMS,
                        open_type="unconditional", catalog_class="theme", subclass="environment")
    path = tmp_path / "all.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROW))
        writer.writeheader()
        writer.writerows([ROW] * 3)
    report = datasets.import_file(db, actor=SYSTEM, resource_id=res.id, path=path, filename="all.csv")
    assert report.ok, report.errors[:3]
    ckan_search.clear_cache()
    make_grant(res, items=list(ROW))
    consumer, admin = exchange_users["consumer_user"], exchange_users["admin"]
    officer = accounts.actor_for(make_user("doors_officer", roles=["data_officer"], department=departments["police"]))
    rules = [quality.define_rule(db, actor=officer, resource_id=res.id,
                                 data={"kind": "pattern", "item": n, "params": {"regex": "^$"}}) for n in KIND]
    quality.run(db, actor=officer, resource_id=res.id)
    pkg = client.get("/api/3/action/package_show", params={"id": res.code}).json()["result"]
    ckan_id = next(r["id"] for r in pkg["resources"] if r["format"] == "CSV")

    def read() -> dict[str, dict[str, str]]:
        seen: dict[str, dict[str, str]] = {}
        page = client.get(f"/open/datasets/{res.id}", headers=HTML)
        assert page.status_code == 200, page.text
        text = html.unescape(page.text)
        seen["portal preview (anonymous)"] = {n: v for n, v in expected(db).items() if v in text}
        r = client.get(f"/open/datasets/{res.id}/download.csv", params={"columns": "names"})
        assert r.status_code == 200, r.text
        seen["portal download CSV"] = next(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        r = client.get("/api/3/action/datastore_search", params={"resource_id": ckan_id, "limit": 1})
        seen["CKAN datastore_search"] = r.json()["result"]["records"][0]
        r = client.get(f"/api/v1/open/datasets/{res.id}/rows", params={"size": 1})
        seen["open REST rows"] = r.json()["items"][0]
        r = client.get(f"/api/v1/exchange/resources/{res.id}/rows", params={"size": 1},
                       headers=auth_headers(consumer))
        assert r.status_code == 200, r.text
        seen["sharing API (grant)"] = r.json()["items"][0]
        r = client.get(f"/api/v1/exchange/resources/{res.id}/rows", params={"size": 1, "fields": ",".join(KIND)},
                       headers=auth_headers(consumer))
        seen["sharing API (fields: the table)"] = r.json()["items"][0]
        r = client.get(f"/api/v1/catalog/resources/{res.id}/versions/1/rows", params={"limit": 1},
                       headers=auth_headers(admin))
        assert r.status_code == 200, r.text
        seen["catalog rows (admin)"] = dict(zip(r.json()["columns"], r.json()["rows"][0], strict=True))
        template = SimpleNamespace(fields=[ItemSpec(**i) for i in ITEMS])
        masks = value_masker(db, accounts.actor_for(admin), res.id, res.department_id, template)
        seen["base database values (admin)"] = {n: masks[n](ROW[n]) for n in KIND}
        found = quality.report(db, actor=officer, resource_id=res.id)
        seen["quality samples"] = {
            f["item"]: f["samples"][0]["value"] for f in found["findings"] if f["rule_id"] in {r.id for r in rules}
        }
        return seen

    return SimpleNamespace(resource=res, read=read, admin=admin)


def differences(db, seen: dict[str, dict[str, str]]) -> list[str]:
    want = expected(db)
    return [f"{door}: {n} = {got.get(n)!r}, not {want[n]!r}" for door, got in seen.items() for n in KIND
            if got.get(n) != want[n]]


def test_every_door_masks_every_kind_alike_and_follows_a_rule_edit(db, client, doors, auth_headers):
    assert differences(db, doors.read()) == []
    before = expected(db)
    assert before["sfzh"] == ROW["sfzh"][:4] + "*" * 10 + ROW["sfzh"][-4:]  # the rules page's default: 4+4
    for kind, params in EDITS.items():
        r = client.put(f"/api/v1/exchange/masking-rules/{kind}", json={"params": params},
                       headers=auth_headers(doors.admin))
        assert r.status_code == 200, r.text
    after = expected(db)
    assert all(after[n] != before[n] for n in KIND)
    assert after["sfzh"] == ROW["sfzh"][:6] + "#" * 10 + ROW["sfzh"][-2:] and after["zb"] == "112.9,28.2"
    assert differences(db, doors.read()) == []  # the very next call of each door, no restart
