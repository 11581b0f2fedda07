"""A published resource of another department offers "申请共享"; the providing department is not asked to."""

from __future__ import annotations

HTML = {"accept": "text/html"}


def test_request_share_link_only_for_other_departments(client, login, make_user, departments, make_resource):
    res = make_resource("常住人口基本信息", department=departments["police"], state="published")
    outsider = make_user("share_link_user", roles=["dept_user"], department=departments["housing"])
    login(client, outsider)
    page = client.get(f"/catalog/{res.id}", headers=HTML)
    assert page.status_code == 200
    assert f'href="/exchange/requests/new?resource_id={res.id}"' in page.text

    client.cookies.clear()
    insider = make_user("share_link_police", roles=["dept_user"], department=departments["police"])
    login(client, insider)
    page = client.get(f"/catalog/{res.id}", headers=HTML)
    assert page.status_code == 200
    assert "/exchange/requests/new" not in page.text


def test_the_page_title_is_the_resource_name_only(client, login, make_user, departments, make_resource):
    res = make_resource("城市部件台账", department=departments["housing"], state="published")
    admin = make_user("title_admin", roles=["admin"], department=departments["data_bureau"])
    login(client, admin)
    page = client.get(f"/catalog/{res.id}", headers=HTML)
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "城市部件台账" in title and "<" not in title and "form" not in title
    assert page.text.count(f'action="/catalog/{res.id}/withdraw"') == 1  # the withdraw form, once, in the body
