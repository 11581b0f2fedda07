"""Benchmark of a quality run: the proposed rules of a 1,000,000-row population table (ZHICHENG_BENCH_ROWS) —
required, unique, citizen-ID check digits, GB/T 2260 region codes, mobile pattern, allowed values, birth date
and sex consistent with the ID, range, timeliness — run by `quality.service.run`, against a plain `sqlite3`
full scan of the same table (`SELECT *` iterated in Python). The population comes from bench_sharing's generator.

Each side runs in a child process of its own (clean timing and peak RSS). When bench/bench_assembly.py has a
`run(rows) -> dict`, it runs too and its lines come before the BENCH line.
Run: `zhicheng bench quality` or `python bench/bench_quality.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _sibling(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not inherit the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(folder: Path, rows: int) -> tuple[int, str, list[str]]:
    """A fresh SQLite instance holding the population as resource 1, with every proposed rule accepted."""
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.quality import service as quality

    sharing = _sibling("bench_sharing")
    csv_path = folder / "people.csv"
    started = time.perf_counter()
    sharing.write_people(csv_path, rows)
    print(f"generated {rows} rows in {time.perf_counter() - started:.1f}s", flush=True)
    engine = make_engine(f"sqlite:///{folder / 'zhicheng.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as db:
        police = accounts.create_department(
            db, actor=SYSTEM, name="长沙市公安局", kind="bureau", region_code="430100"
        )
        res = catalog.create_resource(
            db,
            actor=SYSTEM,
            data={
                "name": "常住人口基本信息",
                "catalog_class": "base",
                "subclass": "population",
                "summary": "基准测试用的常住人口数据",
                "format": "database",
                "share_type": "conditional",
                "share_condition": "用于身份核验",
                "share_method": "api",
                "open_type": "none",
                "update_cycle": "daily",
                "department_id": police.id,
                "items": sharing.ITEMS,
            },
        )
        report = datasets.import_file(
            db, actor=SYSTEM, resource_id=res.id, path=csv_path, filename="people.csv"
        )
        if not report.ok:
            raise SystemExit(f"import failed: {report.message_en} {report.errors[:3]}")
        texts = []
        for rule in quality.propose(db, actor=SYSTEM, resource_id=res.id):
            quality.set_rule_state(db, actor=SYSTEM, rule_id=rule.id, state="active")
            texts.append(quality.rule_view(rule)["text"])
        table = datasets.get_version(db, actor=SYSTEM, resource_id=res.id).table_name
    engine.dispose()
    csv_path.unlink()
    return res.id, table, texts


def child_ours(folder: Path, resource_id: int) -> dict:
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker
    from zhicheng.core.ids import citizen_id
    from zhicheng.quality import service as quality

    engine = make_engine(f"sqlite:///{folder / 'zhicheng.db'}")
    citizen_id.is_valid("")  # steady state: the check's tables are built once per process and day
    with make_sessionmaker(engine)() as db:
        before = peak_mb()
        started = time.perf_counter()
        run = quality.run(db, actor=SYSTEM, resource_id=resource_id)
        seconds = time.perf_counter() - started
        report = quality.report(db, actor=SYSTEM, resource_id=resource_id, run_id=run.id)
    failing = {f["text"]: f["failed"] for f in report["findings"] if f["failed"]}
    return {
        "rows": run.rows,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "baseline_mb": before,
        "score": run.score,
        "rules": len(report["findings"]),
        "failing": failing,
    }


def child_reference(folder: Path, table: str) -> dict:
    conn = sqlite3.connect(folder / "zhicheng.db")
    started = time.perf_counter()
    rows = 0
    for _row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - the bench's own table name
        rows += 1
    seconds = time.perf_counter() - started
    conn.close()
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb()}


def run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def assembly_lines(rows: int) -> list[str]:
    """Part B's assembly benchmark, when it exists: its result as lines printed before our BENCH line."""
    if not (BENCH / "bench_assembly.py").exists():
        return []
    module = _sibling("bench_assembly")
    if not hasattr(module, "run"):
        return []
    result = module.run(rows)
    if not isinstance(result, dict):
        return [f"assembly {result}"]
    if result.get("lines"):
        return [str(line) for line in result["lines"]]

    def shown(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    flat = " ".join(f"{k}={shown(v)}" for k, v in result.items() if not isinstance(v, dict | list))
    nested = [
        f"assembly {k} " + " ".join(f"{a}={shown(b)}" for a, b in v.items())
        for k, v in result.items()
        if isinstance(v, dict)
    ]
    return [f"assembly {flat}", *nested]


def main() -> None:
    rows = int(os.environ.get("ZHICHENG_BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-quality-") as tmp:
        folder = Path(tmp)
        resource_id, table, texts = build(folder, rows)
        print(f"{len(texts)} rules (all proposed, all accepted): " + "; ".join(texts), flush=True)
        ref = run_child("reference", str(folder), table)
        ours = run_child("ours", str(folder), str(resource_id))
        ref2 = run_child(
            "reference", str(folder), table
        )  # the page cache warm for both; keep the faster scan
    if ref2["seconds"] < ref["seconds"]:
        ref = ref2
    assert ours["rows"] == ref["rows"] == rows, (ours, ref)
    ours_rate, ref_rate = rows / ours["seconds"], rows / ref["seconds"]
    print(
        f"zhicheng quality run:       {ours['seconds']:.2f}s  {ours_rate:,.0f} rows/s  {ours['rules']} rules  "
        f"score {ours['score']}  peak RSS {ours['peak_mb']:.1f} MB (before the run {ours['baseline_mb']:.1f} MB)"
    )
    print(f"findings: {ours['failing'] or 'none'}")
    print(
        f"sqlite3 SELECT * scan (ref): {ref['seconds']:.2f}s  {ref_rate:,.0f} rows/s  peak RSS {ref['peak_mb']:.1f} MB"
    )
    for line in assembly_lines(rows):
        print(line, flush=True)
    print(
        f"BENCH quality rows_per_s={ours_rate:.0f} sqlite_scan_rows_per_s={ref_rate:.0f} "
        f"ratio={ours_rate / ref_rate:.2f} peak_mb={ours['peak_mb']:.1f}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        kind, work, arg = sys.argv[2], Path(sys.argv[3]), sys.argv[4]
        result = child_ours(work, int(arg)) if kind == "ours" else child_reference(work, arg)
        print(json.dumps(result, ensure_ascii=False))
    else:
        main()
