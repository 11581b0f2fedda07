"""A consumer subscribes to new versions of a granted resource and gets signed webhooks, retried with back-off."""

from __future__ import annotations

import csv
import json
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from zhicheng.catalog.datasets import service as datasets
from zhicheng.core import clock
from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.core.ids import citizen_id
from zhicheng.exchange import service as exchange
from zhicheng.exchange.subscriptions import service as subscriptions
from zhicheng.exchange.subscriptions import webhooks
from zhicheng.exchange.subscriptions.models import Subscription, WebhookAttempt, WebhookDelivery


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent and answers with the statuses it is told."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.webhook_allowed_hosts = ["127.0.0.1"]


@pytest.fixture
def granted(db, make_resource, departments, make_grant):
    """A published 公安局 resource with one version of data, and 住建局's live grant on it."""
    resource = make_resource("订阅测试人口", department=departments["police"], state="published")
    grant = make_grant(resource)
    return resource, grant


def import_version(db, tmp_path, actor, resource_id: int, n: int = 3) -> int:
    path = tmp_path / f"people_{time.monotonic_ns()}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["公民身份号码", "姓名", "出生日期", "住址"])
        for i in range(n):
            w.writerow([citizen_id.make("430104", date(1980, 1, 1 + i), i, "M"), f"王{i}", "1980-01-01",
                        f"长沙市岳麓区麓山南路{i}号"])
    report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename=path.name)
    assert report.ok, report
    return report.version


def test_forged_targets_are_refused(settings):
    for url in ["http://example.com/hook", "file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/",
                "http://user:pw@127.0.0.1:9/hook", f"http://127.0.0.1:{settings.port}/api/v1/health",
                f"http://localhost:{settings.port}/", "http://[::1]:9/", "http://127.0.0.1.nip.io/",
                "javascript:alert(1)", "", "http://" + "a" * 2100]:
        with pytest.raises(Invalid) as err:
            webhooks.check_target(url, settings)
        assert err.value.field == "target_url" and err.value.code == "webhook_target", url
    assert webhooks.check_target("http://127.0.0.1:9/hook", settings) == "http://127.0.0.1:9/hook"
    settings.webhook_allowed_hosts = ["127.0.0.1", "localhost"]
    for own in ("0.0.0.0", "localhost", "127.0.0.1"):  # however the platform listens, it is never a target
        settings.host = own
        for url in (f"http://localhost:{settings.port}/", f"http://127.0.0.1:{settings.port}/x"):
            with pytest.raises(Invalid):
                webhooks.check_target(url, settings)
    settings.webhook_allowed_hosts = []  # the default: no target at all
    with pytest.raises(Invalid):
        webhooks.check_target("http://127.0.0.1:9/hook", settings)


def test_signature_is_hmac_sha256_of_the_body():
    body = webhooks.body_of({"version": 2, "名称": "人口"})
    sig = webhooks.sign("s3cret", body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert webhooks.verify("s3cret", body, sig)
    assert not webhooks.verify("other", body, sig) and not webhooks.verify("s3cret", body + b" ", sig)


def test_only_a_live_grant_holder_may_subscribe(db, settings, granted, exchange_actors, receiver):
    resource, grant = granted
    for who in ("other_user", "provider_user"):
        with pytest.raises(Forbidden):
            subscriptions.create(db, actor=exchange_actors[who], settings=settings, resource_id=resource.id,
                                 target_url=receiver.url)
    exchange.revoke_grant(db, actor=exchange_actors["provider_officer"], grant_id=grant.id, reason="停止共享")
    with pytest.raises(Forbidden):
        subscriptions.create(db, actor=exchange_actors["consumer_user"], settings=settings, resource_id=resource.id,
                             target_url=receiver.url)
    assert db.scalar(select(func.count(Subscription.id))) == 0


def test_new_version_is_delivered_signed_and_visible(db, settings, tmp_path, granted, exchange_actors, receiver,
                                                    client, auth_headers, exchange_users):
    resource, grant = granted
    officer = exchange_actors["provider_officer"]
    import_version(db, tmp_path, officer, resource.id)
    headers = auth_headers(exchange_users["consumer_user"])
    r = client.post("/api/v1/exchange/subscriptions", json={"resource_id": resource.id, "target_url": receiver.url},
                    headers=headers)
    assert r.status_code == 201, r.text
    created = r.json()
    secret, sub_id = created["secret"], created["id"]
    assert created["last_version"] == 1 and created["grant_id"] == grant.id
    assert "secret" not in client.get(f"/api/v1/exchange/subscriptions/{sub_id}", headers=headers).json()
    assert subscriptions.run_once(db, settings=settings)["queued"] == 0  # version 1 was there before

    version = import_version(db, tmp_path, officer, resource.id)
    deadline = time.monotonic() + 10
    def recorded() -> bool:  # the app's worker may have sent it and not yet written down how it went
        db.rollback()
        return db.scalar(select(func.count(WebhookDelivery.id)).where(WebhookDelivery.state != "pending")) > 0

    while not (receiver.received and recorded()) and time.monotonic() < deadline:  # the worker, woken by the import
        subscriptions.run_once(db, settings=settings)
        time.sleep(0.05)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert webhooks.verify(secret, got["body"], got["headers"][webhooks.SIGNATURE_HEADER])
    payload = json.loads(got["body"])
    assert payload == {**payload, "event": "dataset.version", "resource_id": resource.id, "version": version,
                       "previous_version": 1, "subscription_id": sub_id}

    r = client.get(f"/api/v1/exchange/subscriptions/{sub_id}/deliveries", headers=headers)
    assert r.status_code == 200
    [d] = r.json()["items"]
    assert d["state"] == "delivered" and d["attempts"] == 1 and d["attempt_log"][0]["status"] == 200
    other = auth_headers(exchange_users["other_user"])
    assert client.get(f"/api/v1/exchange/subscriptions/{sub_id}/deliveries", headers=other).status_code == 403
    assert client.post(f"/api/v1/exchange/subscriptions/{sub_id}/secret", headers=other).status_code == 403

    # a rotated secret signs the next delivery; the old one no longer verifies
    r = client.post(f"/api/v1/exchange/subscriptions/{sub_id}/secret", headers=headers)
    assert r.status_code == 200 and r.json()["secret"] != secret
    new_secret = r.json()["secret"]
    import_version(db, tmp_path, officer, resource.id)
    deadline = time.monotonic() + 10
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        subscriptions.run_once(db, settings=settings)
        time.sleep(0.05)
    got = receiver.received[1]
    assert webhooks.verify(new_secret, got["body"], got["headers"][webhooks.SIGNATURE_HEADER])
    assert not webhooks.verify(secret, got["body"], got["headers"][webhooks.SIGNATURE_HEADER])
    assert client.get("/api/v1/exchange/subscriptions", headers=other).json()["items"] == []


def test_failures_are_retried_with_exponential_back_off(db, settings, tmp_path, granted, exchange_actors, receiver):
    resource, _grant = granted
    created = subscriptions.create(db, actor=exchange_actors["consumer_user"], settings=settings,
                                   resource_id=resource.id, target_url=receiver.url)
    receiver.statuses = [500, 503, 200]
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)
    assert subscriptions.run_once(db, settings=settings) == {"queued": 1, "delivered": 0, "retry": 1, "failed": 0,
                                                             "cancelled": 0}
    d = db.scalar(select(WebhookDelivery).where(WebhookDelivery.subscription_id == created.subscription.id))
    db.refresh(d)
    assert d.state == "pending" and d.last_status == 500
    assert subscriptions.next_due_in(db) == pytest.approx(30, abs=2)
    assert subscriptions.send_due(db, settings=settings)["retry"] == 0  # not yet due
    clock.advance(timedelta(seconds=31))
    assert subscriptions.send_due(db, settings=settings)["retry"] == 1
    assert subscriptions.next_due_in(db) == pytest.approx(60, abs=2)
    clock.advance(timedelta(seconds=61))
    assert subscriptions.send_due(db, settings=settings)["delivered"] == 1
    db.refresh(d)
    attempts = [(a.number, a.status) for a in db.scalars(select(WebhookAttempt).where(
        WebhookAttempt.delivery_id == d.id).order_by(WebhookAttempt.number))]
    assert (d.state, attempts) == ("delivered", [(1, 500), (2, 503), (3, 200)])
    assert len(receiver.received) == 3
    # every try carried the same signed body
    assert len({(x["body"], x["headers"][webhooks.SIGNATURE_HEADER]) for x in receiver.received}) == 1


def test_attempts_are_bounded_and_redirects_not_followed(db, settings, tmp_path, granted, exchange_actors, receiver):
    resource, _grant = granted
    subscriptions.create(db, actor=exchange_actors["consumer_user"], settings=settings, resource_id=resource.id,
                         target_url=receiver.url)
    receiver.statuses = [302] + [500] * 10
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)
    subscriptions.run_once(db, settings=settings)
    for _ in range(webhooks.MAX_ATTEMPTS + 2):
        clock.advance(timedelta(hours=1))
        subscriptions.send_due(db, settings=settings)
    d = db.scalar(select(WebhookDelivery))
    db.refresh(d)
    assert d.state == "failed" and d.attempts == webhooks.MAX_ATTEMPTS
    assert [x["path"] for x in receiver.received] == ["/hook"] * webhooks.MAX_ATTEMPTS  # /elsewhere never called
    first = db.scalar(select(WebhookAttempt).where(WebhookAttempt.number == 1))
    assert first.status == 302 and "redirect" in first.error


def test_revocation_and_cancellation_stop_deliveries(db, settings, tmp_path, granted, exchange_actors, receiver):
    resource, grant = granted
    created = subscriptions.create(db, actor=exchange_actors["consumer_user"], settings=settings,
                                   resource_id=resource.id, target_url=receiver.url)
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)
    subscriptions.fan_out(db)
    exchange.revoke_grant(db, actor=exchange_actors["provider_officer"], grant_id=grant.id, reason="停止共享")
    assert subscriptions.send_due(db, settings=settings)["cancelled"] == 1
    assert receiver.received == []
    with pytest.raises(Forbidden):
        subscriptions.cancel(db, actor=exchange_actors["other_user"], subscription_id=created.subscription.id)
    sub = subscriptions.cancel(db, actor=exchange_actors["consumer_user"], subscription_id=created.subscription.id)
    assert not sub.active
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)
    assert subscriptions.run_once(db, settings=settings)["queued"] == 0


def test_bad_input_through_the_api_changes_nothing(client, db, granted, auth_headers, exchange_users, settings):
    resource, _grant = granted
    headers = auth_headers(exchange_users["consumer_user"])
    cases = [({"resource_id": resource.id, "target_url": "http://evil.example/"}, 422, "target_url"),
             ({"resource_id": resource.id, "target_url": f"http://127.0.0.1:{settings.port}/api/v1/health"}, 422,
              "target_url"),
             ({"resource_id": resource.id, "target_url": "file:///etc/passwd"}, 422, "target_url"),
             ({"resource_id": "1; DROP TABLE exchange_subscription", "target_url": "http://127.0.0.1:9/"}, 422, None),
             ({"resource_id": 2**40, "target_url": "http://127.0.0.1:9/"}, 422, None)]
    for body, status, field in cases:
        r = client.post("/api/v1/exchange/subscriptions", json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            assert r.json()["field"] == field
    assert client.post("/api/v1/exchange/subscriptions", json=cases[0][0]).status_code == 403  # no CSRF, no login
    assert client.get("/api/v1/exchange/subscriptions").status_code == 401
    assert client.get("/api/v1/exchange/subscriptions/99999999999", headers=headers).status_code == 422
    assert db.scalar(select(func.count(Subscription.id))) == 0


def test_the_app_worker_delivers_on_its_own(db, settings, tmp_path, granted, exchange_actors, receiver, client):
    resource, _grant = granted
    created = subscriptions.create(db, actor=exchange_actors["consumer_user"], settings=settings,
                                   resource_id=resource.id, target_url=receiver.url)
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)  # the bus wakes the worker
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 1
    assert webhooks.verify(created.secret, receiver.received[0]["body"],
                           receiver.received[0]["headers"][webhooks.SIGNATURE_HEADER])


def test_subscriptions_page_shows_the_secret_once_and_refuses_forged_targets(
        db, client, login, granted, exchange_users, receiver):
    resource, _grant = granted
    csrf = login(client, exchange_users["consumer_user"])
    r = client.post("/exchange/subscriptions", data={"csrf_token": csrf, "resource_id": str(resource.id),
                                                     "target_url": "file:///etc/passwd"})
    assert r.status_code == 422 and "回调地址不可用" in r.text
    r = client.post("/exchange/subscriptions", data={"csrf_token": csrf, "resource_id": str(resource.id),
                                                     "target_url": receiver.url})
    assert r.status_code == 201 and "签名密钥只显示这一次" in r.text
    page = client.get("/exchange/subscriptions?lang=en")
    assert receiver.url in page.text and "Unsubscribe" in page.text and "shown only this once" not in page.text
    assert f'/catalog/{resource.id}">{resource.name}</a>' in page.text  # the resource by its name, not its id
    sub = db.scalar(select(Subscription))
    r = client.post(f"/exchange/subscriptions/{sub.id}/cancel", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    db.refresh(sub)
    assert not sub.active


def test_cli_runs_due_deliveries(db, settings, tmp_path, granted, exchange_actors, receiver, monkeypatch):
    from typer.testing import CliRunner

    from zhicheng import cli
    from zhicheng.core import settings as settings_module

    resource, _grant = granted
    subscriptions.create(db, actor=exchange_actors["consumer_user"], settings=settings, resource_id=resource.id,
                         target_url=receiver.url)
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id)
    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("ZHICHENG_WEBHOOK_ALLOWED_HOSTS", '["127.0.0.1"]')
    settings_module.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["webhooks", "run", "--once"])
    finally:
        settings_module.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "queued=1" in result.output and "delivered=1" in result.output
    assert len(receiver.received) == 1
