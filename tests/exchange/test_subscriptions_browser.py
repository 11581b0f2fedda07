"""In a real headless Chromium: a consumer subscribes from the page, a new version arrives, the page shows it sent;
the admin reads the sharing KPIs."""

from __future__ import annotations

import time

import pytest

from tests.exchange.test_subscriptions import Receiver, import_version
from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css, wait
from zhicheng.exchange.subscriptions import webhooks

pytestmark = pytest.mark.browser
WAIT = 15


def log_in(browser, base: str, path: str, username: str) -> None:
    browser.get(base + path)
    wait(browser).until(lambda d: "/login" in d.current_url)
    css(browser, "#f-username").send_keys(username)
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith(path) and d.execute_script("return document.readyState")
                        == "complete")


@pytest.fixture
def receiver(settings):
    settings.webhook_allowed_hosts = ["127.0.0.1"]
    r = Receiver()
    yield r
    r.close()


def test_consumer_subscribes_and_sees_the_delivery(live_server, browser, db, tmp_path, make_resource, departments,
                                                   make_grant, exchange_users, exchange_actors, receiver):
    resource = make_resource("浏览器订阅人口", department=departments["police"], state="published")
    make_grant(resource)
    log_in(browser, live_server.url, "/exchange/subscriptions", exchange_users["consumer_user"].username)
    wait(browser).until(lambda d: css(d, "input[name=resource_id]")).send_keys(str(resource.id))
    css(browser, "input[name=target_url]").send_keys(receiver.url)
    css(browser, "form[action='/exchange/subscriptions'] button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#subscription-secret"))
    secret = css(browser, "#subscription-secret code").text
    assert len(secret) >= 40

    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)
    deadline = time.monotonic() + WAIT
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert webhooks.verify(secret, receiver.received[0]["body"],
                           receiver.received[0]["headers"][webhooks.SIGNATURE_HEADER])

    def shown_delivered(d) -> bool:  # the app's worker may have sent it and not yet written down how it went
        d.get(live_server.url + "/exchange/subscriptions")
        return "已送达" in css(d, "#subscriptions").text

    assert wait(browser).until(shown_delivered)
    assert secret not in browser.page_source  # shown once only


def test_admin_reads_the_sharing_kpis(live_server, browser, make_resource, departments, exchange_users):
    make_resource("公开统计", department=departments["police"], state="published", share_type="unconditional")
    make_resource("内部档案", department=departments["housing"], state="published", share_type="none",
                  share_basis="《中华人民共和国档案法》")
    log_in(browser, live_server.url, "/exchange/kpis", exchange_users["admin"].username)
    assert wait(browser).until(lambda d: css(d, "#sharing-rate")).text == "50.0%"
    assert "长沙市住房和城乡建设局" in css(browser, "#kpi-least-sharing").text
    # the departments' rates drawn by ECharts against the 70 % target
    assert wait(browser).until(lambda d: css(d, "#dept-chart canvas")).size["width"] > 100
