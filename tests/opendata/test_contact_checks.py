"""Every door that takes a mobile number or an e-mail address reads it the one way (core.ids): the portal's
registration, staff accounts, and a data item's check on import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.opendata.fixtures import PASSWORD, cid
from zhicheng.catalog.datasets.converters import converter_for
from zhicheng.catalog.items import ItemCheck, ItemSpec, ItemType
from zhicheng.core.errors import Invalid
from zhicheng.opendata.users.models import PortalUser


def _register(client, **kw):
    data = {"kind": "citizen", "username": "wangfang", "password": PASSWORD, "display_name": "王芳",
            "id_number": cid(11), "phone": "13912345678"}
    data.update(kw)
    return client.post("/api/v1/open/account/register", json=data)


def test_registration_takes_plus_86_and_stores_the_eleven_digits(client, db):
    r = _register(client, phone="+86 139 1234 5678", email="王芳@例子.中国")
    assert r.status_code == 201, r.text
    row = db.scalar(select(PortalUser).where(PortalUser.username == "wangfang"))
    assert (row.phone, row.email) == ("13912345678", "王芳@例子.中国")


def test_registration_refuses_an_address_the_old_pattern_let_through(client):
    r = _register(client, email="wang..fang@hunan.gov.cn")
    assert r.status_code == 422 and r.json()["field"] == "email", r.text


def test_a_staff_account_with_a_broken_email_is_refused(db, staff_admin, departments):
    from zhicheng.accounts import service as accounts

    with pytest.raises(Invalid) as err:
        accounts.create_user(db, actor=accounts.actor_for(staff_admin), username="clerk", password="Zhicheng2026x", display_name="办事员",
                             department_id=departments["police"].id, email="clerk@@hunan.gov.cn")
    assert err.value.field == "email"


@pytest.mark.parametrize(("check", "good", "bad"), [
    ("mobile", "+86 139 1234 5678", "12912345678"),
    ("email", "李明@例子.中国", "li..ming@hunan.gov.cn"),
])
def test_an_imported_value_is_checked_the_same_way(check, good, bad):
    convert = converter_for(ItemSpec(name="x", label="联系", type=ItemType.STRING, length=50, check=ItemCheck(check)))
    assert convert(good) == good
    with pytest.raises(Exception, match="无效|invalid"):
        convert(bad)
