"""A login flood costs time, not memory: 50 people log in at once (staff for a token, citizens on the open-data
portal) against a real server with production Argon2id (64 MiB a hash); every one gets in, and the server's peak
memory grows by a few hashes' worth, not by fifty."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
from argon2.profiles import RFC_9106_LOW_MEMORY

from tests.helpers.accounts import DEFAULT_PASSWORD, TEST_ARGON2
from tests.helpers.served import memory_mb, reset_peak, served
from zhicheng.accounts import security
from zhicheng.core.ids.citizen_id import make as make_citizen_id
from zhicheng.opendata.users import service as portal

LOGINS = 50
HASH_MB = 64


def test_fifty_logins_at_once_all_succeed_within_a_bounded_memory(db, settings, make_user):
    security.use_parameters(RFC_9106_LOW_MEMORY)  # hashes as production makes them (64 MiB each)
    try:
        make_user("zhang_wei", roles=["dept_user"])
        portal.register(db, settings=settings, kind="citizen", username="citizen_li", password=DEFAULT_PASSWORD,
                        display_name="李市民", id_number=make_citizen_id("430104", date(1990, 5, 17), 12, "F"),
                        phone="13800000000")
    finally:
        security.use_parameters(TEST_ARGON2)

    def staff(c: httpx.Client) -> int:
        return c.post("/api/v1/auth/token", json={"username": "zhang_wei", "password": DEFAULT_PASSWORD}).status_code

    def citizen(c: httpx.Client) -> int:
        return c.post("/api/v1/open/account/login",
                      json={"username": "citizen_li", "password": DEFAULT_PASSWORD}).status_code

    with served(settings, ZHICHENG_PASSWORD_HASH_CONCURRENCY="2") as (base, proc):
        with httpx.Client(base_url=base, timeout=120) as c:
            assert staff(c) == 200 and citizen(c) == 200  # warm: every module loaded, one hash done
        before = memory_mb(proc.pid, "VmRSS")
        if not reset_peak(proc.pid):
            before = memory_mb(proc.pid, "VmHWM")

        def one(n: int) -> tuple[int, float]:
            with httpx.Client(base_url=base, timeout=120) as c:
                started = time.perf_counter()
                code = (staff if n % 2 else citizen)(c)
                return code, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(LOGINS) as pool:
            results = list(pool.map(one, range(LOGINS)))
        took = time.perf_counter() - started
        peak = memory_mb(proc.pid, "VmHWM")
    codes = [code for code, _ in results]
    slowest = max(t for _, t in results)
    print(f"\n{LOGINS} logins at once: {took:.1f} s in all, slowest {slowest:.1f} s; server RSS before "
          f"{before:.0f} MB, peak {peak:.0f} MB (+{peak - before:.0f} MB)")
    assert codes == [200] * LOGINS  # queued, none refused
    assert peak - before < 4 * HASH_MB + 96  # two hashes at a time (a few in flight while freed), not fifty
