"""Benchmark of the streaming import: 1,000,000 people rows (ZHICHENG_BENCH_ROWS) through `import_file`, with
identifier checks, against plain sqlite3 executemany of the same CSV; rows/s of both and our peak memory.

Each side runs in a child process of its own so that the memory and timing numbers are clean.
Run: `zhicheng bench import` or `python bench/bench_import.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HEADER = ["姓名", "公民身份号码", "性别", "出生日期", "行政区划代码", "手机号码", "住址"]
ITEMS = [
    {"name": "xm", "label": "姓名", "type": "string", "length": 20, "required": True, "personal": True},
    {"name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "required": True,
     "check": "citizen_id", "personal": True, "sensitivity": "important"},
    {"name": "xb", "label": "性别", "type": "string", "length": 1},
    {"name": "csrq", "label": "出生日期", "type": "date"},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6, "check": "region_code"},
    {"name": "sjhm", "label": "手机号码", "type": "string", "length": 11, "check": "mobile"},
    {"name": "dz", "label": "住址", "type": "string", "length": 100},
]
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181"]
STREETS = ["五一大道", "芙蓉中路", "韶山北路", "麓山南路", "人民东路", "湘江中路", "劳动西路", "车站北路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def generate(path: Path, rows: int) -> None:
    """Write `rows` valid people rows (GB 11643 numbers with their check digit) as UTF-8 CSV."""
    from zhicheng.core.ids.citizen_id import check_char

    rnd = random.Random(20261122)
    start = date(1940, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for n in range(rows):
            region = REGIONS[n % len(REGIONS)]
            born = start + timedelta(days=rnd.randrange(0, 365 * 80))
            order = rnd.randrange(0, 1000)
            first17 = f"{region}{born:%Y%m%d}{order:03d}"
            writer.writerow([rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                             first17 + check_char(first17), "男" if order % 2 else "女", born.isoformat(), region,
                             f"1{rnd.choice('3589')}{rnd.randrange(0, 10**9):09d}",
                             f"长沙市{rnd.choice(STREETS)}{rnd.randrange(1, 999)}号"])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ours(csv_path: Path, workdir: Path) -> dict:
    """Import through zhicheng's service into a fresh embedded instance."""
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.core.ids import citizen_id

    engine = make_engine(f"sqlite:///{workdir / 'zhicheng.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as db:
        dept = accounts.create_department(db, actor=SYSTEM, name="长沙市公安局", kind="bureau",
                                          region_code="430100")
        res = catalog.create_resource(db, actor=SYSTEM, data={
            "name": "常住人口基本信息", "catalog_class": "base", "subclass": "population",
            "summary": "基准测试用的常住人口数据", "format": "database", "share_type": "unconditional",
            "share_method": "api",
            "open_type": "none", "update_cycle": "daily", "department_id": dept.id, "items": ITEMS})
        citizen_id.is_valid("")  # steady state: the check's lookup tables are built once per process and day
        before = peak_mb()
        started = time.perf_counter()
        report = service.import_file(db, actor=SYSTEM, resource_id=res.id, path=csv_path, filename="people.csv")
        seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"import failed: {report.message_en} {report.errors[:5]}")
    return {"rows": report.row_count, "seconds": seconds, "peak_mb": peak_mb(), "baseline_mb": before}


def child_reference(csv_path: Path, workdir: Path) -> dict:
    """The same rows with the csv module and sqlite3 executemany in one transaction (same pragmas)."""
    conn = sqlite3.connect(workdir / "reference.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        conn.execute("BEGIN")
        conn.execute("CREATE TABLE people (_row INTEGER PRIMARY KEY, xm VARCHAR(20), sfzh VARCHAR(18), "
                     "xb VARCHAR(1), csrq DATE, dqdm VARCHAR(6), sjhm VARCHAR(11), dz VARCHAR(100))")
        conn.executemany("INSERT INTO people VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)", reader)
        conn.commit()
    seconds = time.perf_counter() - started
    rows = conn.execute("SELECT count(*) FROM people").fetchone()[0]
    conn.close()
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb()}


def run_child(kind: str, csv_path: Path, workdir: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(csv_path), str(workdir)],
                         check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = int(os.environ.get("ZHICHENG_BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-") as tmp:
        folder = Path(tmp)
        csv_path = folder / "people.csv"
        started = time.perf_counter()
        generate(csv_path, rows)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        print(f"generated {rows} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f}s", flush=True)
        (folder / "ours").mkdir()
        (folder / "ref").mkdir()
        ours = run_child("ours", csv_path, folder / "ours")
        ref = run_child("reference", csv_path, folder / "ref")
    assert ours["rows"] == ref["rows"] == rows, (ours, ref)
    ours_rate = rows / ours["seconds"]
    ref_rate = rows / ref["seconds"]
    print(f"zhicheng import_file:     {ours['seconds']:.2f}s  {ours_rate:,.0f} rows/s  "
          f"peak RSS {ours['peak_mb']:.1f} MB (before the import {ours['baseline_mb']:.1f} MB)")
    print(f"sqlite3 executemany (ref): {ref['seconds']:.2f}s  {ref_rate:,.0f} rows/s  peak RSS {ref['peak_mb']:.1f} MB")
    print(f"BENCH import rows_per_s={ours_rate:.0f} sqlite_executemany_rows_per_s={ref_rate:.0f} "
          f"ratio={ours_rate / ref_rate:.2f} peak_mb={ours['peak_mb']:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        kind, csv_file, work = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        result = child_ours(csv_file, work) if kind == "ours" else child_reference(csv_file, work)
        print(json.dumps(result))
    else:
        main()
