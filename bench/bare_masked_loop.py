"""The calibration point of the sharing benchmark: a bare masked FastAPI loop (the issue's words), with no grant,
no masking rules read, no audit. A keyset page of the population table from raw `sqlite3`, four fields masked in
Python, the page written by orjson. `bench_sharing` runs it as a third side when ZHICHENG_BENCH_BARE=1:
`uvicorn bare_masked_loop:app` with BARE_DB (the SQLite file) and BARE_TABLE (the version table) set."""

from __future__ import annotations

import os
import sqlite3
import threading

import orjson
from fastapi import FastAPI
from fastapi.responses import Response

DB = os.environ.get("BARE_DB", "")
TABLE = os.environ.get("BARE_TABLE", "ds_1_v1")
if not TABLE.replace("_", "").isalnum():
    raise SystemExit(f"bad table name {TABLE!r}")
SQL = f"SELECT _row, sfzh, xm, xb, csrq, dqdm, sjhm, zz FROM {TABLE} WHERE _row > ? ORDER BY _row LIMIT ?"  # noqa: S608
_local = threading.local()
app = FastAPI()


def _conn() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(f"file:{DB}?mode=ro", uri=True, check_same_thread=False)
    return conn


def _address(value: str) -> str:
    cut = value.find("街道")
    return value[: cut + 2] + "****" if cut >= 0 else value


@app.get("/rows")
def rows(size: int = 1000, after: int = 0) -> Response:
    items, last = [], None
    for row, sfzh, xm, xb, csrq, dqdm, sjhm, zz in _conn().execute(SQL, (after, size)):
        items.append(
            {
                "sfzh": sfzh[:4] + "*" * 10 + sfzh[-4:],
                "xm": xm[0] + "*",
                "xb": xb,
                "csrq": csrq,
                "dqdm": dqdm,
                "sjhm": sjhm[:3] + "****" + sjhm[-4:],
                "zz": _address(zz),
            }
        )
        last = row
    body = {"count": len(items), "next": last if len(items) == size else None, "items": items}
    return Response(orjson.dumps(body), media_type="application/json")
