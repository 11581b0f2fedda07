"""An attacker guessing passwords learns nothing about which usernames exist: a name no account has is refused,
counted and locked out with the very same answers as a real account, on the staff and the portal login; each
refusal spends the same Argon2 time (hashes as production makes them; the times are printed)."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY

from tests.helpers.accounts import TEST_ARGON2
from tests.opendata.fixtures import make_portal_user  # noqa: F401 - a fixture, used by name
from zhicheng.accounts import security
from zhicheng.core import clock


@pytest.fixture
def production_hashing():
    security.use_parameters(RFC_9106_LOW_MEMORY)
    yield
    security.use_parameters(TEST_ARGON2)


def attempt(client, url: str, username: str) -> tuple[tuple, float]:
    start = time.perf_counter()
    r = client.post(url, json={"username": username, "password": "wrong-password-1"})
    took = time.perf_counter() - start
    body = r.json()
    return (r.status_code, body.get("code"), body.get("title"), body.get("detail"), body.get("field"),
            r.headers.get("retry-after")), took


def both(client, url: str, known: str, unknown: str, attempts: int = 7):
    """The answers to the same wrong password for both names, one after the other (no warm-up favours either)."""
    seen = {known: [], unknown: []}
    took = {known: [], unknown: []}
    for _ in range(attempts):
        for name in (known, unknown):
            answer, seconds = attempt(client, url, name)
            seen[name].append(answer)
            took[name].append(seconds)
    return seen[known], seen[unknown], took[known], took[unknown]


def test_staff_login_treats_unknown_names_as_known_ones(client, make_user, settings, production_hashing):
    make_user("gaj_known")
    url = "/api/v1/auth/token"
    known, unknown, known_took, unknown_took = both(client, url, "gaj_known", "gaj_nobody")
    assert known == unknown
    n = settings.login_max_failures
    assert [a[0] for a in known] == [401] * n + [403] * 2
    assert known[-1][1] == "account_locked"
    print(f"staff login, median s per refused attempt (Argon2id 64 MiB): known "
          f"{statistics.median(known_took[:n]):.3f}, unknown {statistics.median(unknown_took[:n]):.3f}; "
          f"locked: known {known_took[-1]:.3f}, unknown {unknown_took[-1]:.3f}")
    clock.advance(timedelta(minutes=settings.login_lockout_minutes + 1))
    after = client.post(url, json={"username": "gaj_nobody", "password": "x-wrong-2"})
    assert after.status_code == 401  # the lock-out runs out for an unknown name as for an account


def test_portal_login_treats_unknown_names_as_known_ones(client, make_portal_user, settings,  # noqa: F811
                                                          production_hashing):
    user = make_portal_user("citizen_known")
    url = "/api/v1/open/account/login"
    known, unknown, known_took, unknown_took = both(client, url, user.username, "citizen_nobody")
    assert [a[:-1] for a in known] == [a[:-1] for a in unknown]
    waits = [(int(k[-1]), int(u[-1])) for k, u in zip(known, unknown, strict=True) if k[-1]]
    assert waits and all(abs(k - u) <= 2 for k, u in waits)  # Retry-After: the same wait, a second apart
    n = settings.login_max_failures
    assert [a[0] for a in known] == [401] * n + [429, 429]
    print(f"portal login, median s per refused attempt (Argon2id 64 MiB): known "
          f"{statistics.median(known_took[:n]):.3f}, unknown {statistics.median(unknown_took[:n]):.3f}")
