"""Ids and numbers larger than any database can hold are the input's fault (404/422), never a server error."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize("path", [
    f"/api/v1/catalog/resources/{HUGE}",
    f"/api/v1/users/{HUGE}",
    f"/api/v1/departments/{HUGE}",
    f"/api/v1/catalog/resources/{HUGE}/versions",
    "/api/v1/catalog/resources/2147483648",
])
def test_huge_ids_in_paths(client, make_user, departments, auth_headers, path):
    admin = make_user("range_admin", roles=["admin"], department=departments["data_bureau"])
    r = client.get(path, headers=auth_headers(admin))
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_huge_id_in_a_body(client, make_user, departments, auth_headers):
    admin = make_user("range_admin2", roles=["admin"], department=departments["data_bureau"])
    r = client.post("/api/v1/users", headers=auth_headers(admin),
                    json={"username": "zhang3", "display_name": "张三", "password": "abcd1234efg",
                          "department_id": int(HUGE), "roles": ["dept_user"]})
    assert r.status_code in (404, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
