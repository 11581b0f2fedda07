"""Benchmark of a base database assembly: two generated population sources of ZHICHENG_BENCH_ROWS rows each
(1,000,000 by default) with 5 % conflicting addresses and 2 % key-less rows, assembled one source per field
with entity resolution; time, rows/s, peak memory, and the precision and recall of the matching against the
generator's truth. Reference: a plain sqlite3 JOIN of the two tables on the key, every joined row fetched.

The sources are generated and imported in a child process (not timed); the assembly runs in this process, so
its peak RSS is the assembly's (plus the interpreter and the platform's modules).
Run: `zhicheng bench assembly` or `python bench/bench_assembly.py`; the last line is the BENCH line.
`run(rows)` returns the numbers as a dict (bench_quality.py calls it).
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

CONFLICT_RATE, KEYLESS_RATE = 0.05, 0.02


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup(workdir: Path, rows: int) -> dict:
    """Child: a fresh embedded instance with the two sources imported; the truth written beside it."""
    from zhicheng.accounts import service as accounts
    from zhicheng.basedb import flows
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate

    engine = make_engine(f"sqlite:///{workdir / 'zhicheng.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as db:
        city = accounts.create_department(
            db, actor=SYSTEM, name="长沙市人民政府", kind="city", region_code="430100"
        )
        depts = [
            accounts.create_department(
                db, actor=SYSTEM, name=n, kind="bureau", region_code="430100", parent_id=city.id
            ).id
            for n in ("长沙市数据资源局", "长沙市公安局", "长沙市卫生健康委员会")
        ]
        a, b, truth = flows.make_sources(
            db,
            actor=SYSTEM,
            departments=(depts[1], depts[2]),
            rows=rows,
            conflict_rate=CONFLICT_RATE,
            keyless_rate=KEYLESS_RATE,
        )
    engine.dispose()
    with (workdir / "truth_a.bin").open("wb") as fh:
        truth["truth_a"].tofile(fh)
    with (workdir / "truth_b.bin").open("wb") as fh:
        truth["truth_b"].tofile(fh)
    return {
        "a": a,
        "b": b,
        "owner": depts[0],
        "conflicts": truth["conflicts"],
        "keyless": truth["keyless_a"] + truth["keyless_b"],
    }


def _truth(path: Path, rows: int) -> array:
    out = array("i")
    with path.open("rb") as fh:
        out.fromfile(fh, rows)
    return out


def measure(workdir: Path, rows: int, made: dict) -> dict:
    """Define and run the assembly (timed), then score its matching against the truth."""
    from sqlalchemy import select

    from zhicheng.basedb import flows, sample
    from zhicheng.basedb.models import AssemblyRun, Provenance
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{workdir / 'zhicheng.db'}")
    with make_sessionmaker(engine)() as db:
        asm = flows.define_assembly(
            db,
            actor=SYSTEM,
            data={
                "name": "人口基础库",
                "template": "population",
                "department_id": made["owner"],
                "fields": sample.population_fields(made["a"], made["b"]),
            },
        )
        baseline = peak_mb()
        started = time.perf_counter()
        run = flows.run_assembly(db, actor=SYSTEM, assembly_id=asm.id)
        seconds = time.perf_counter() - started
        peak = peak_mb()
        truth_a, truth_b = _truth(workdir / "truth_a.bin", rows), _truth(workdir / "truth_b.bin", rows)
        predicted = correct = 0
        query = select(Provenance.rows).where(Provenance.run_id == run.id)
        for (refs,) in db.execute(query, execution_options={"stream_results": True, "yield_per": 10000}):
            ra, _, rb = refs.partition(",")
            if ra and rb:
                predicted += 1
                correct += truth_a[int(ra) - 1] == truth_b[int(rb) - 1]
        run = db.get(AssemblyRun, run.id)
        stats, tables = run.stats, [f"ds_{made['a']}_v1", f"ds_{made['b']}_v1"]
    engine.dispose()
    return {
        "seconds": seconds,
        "peak_mb": peak,
        "baseline_mb": baseline,
        "records": run.record_count,
        "conflicts": run.conflict_count,
        "precision": correct / predicted if predicted else 0.0,
        "recall": correct / rows,
        "stats": stats,
        "tables": tables,
        "seeded_conflicts": made["conflicts"],
        "seeded_keyless": made["keyless"],
    }


def reference(workdir: Path, tables: list[str]) -> float:
    """Seconds for a plain sqlite3 JOIN of the two sources on the key, every joined row fetched."""
    conn = sqlite3.connect(workdir / "zhicheng.db")
    a, b = tables
    started = time.perf_counter()
    joined = 0
    # table names come from the row store's naming rule (ds_<id>_v<n>), not from input
    for _row in conn.execute(f"SELECT a.*, b.* FROM {a} a JOIN {b} b ON a.sfzh = b.gmsfhm"):  # noqa: S608
        joined += 1
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def run(rows: int) -> dict:
    """Generate, import (child process), assemble and score `rows`-row sources; the numbers as a dict."""
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-assembly-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--setup", str(folder), str(rows)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        made = json.loads(out.stdout.strip().splitlines()[-1])
        setup_seconds = time.perf_counter() - started
        result = measure(folder, rows, made)
        ref_seconds = reference(folder, result.pop("tables"))
    source_rows = 2 * rows
    result.update(
        rows=rows,
        setup_seconds=setup_seconds,
        rows_per_s=source_rows / result["seconds"],
        reference_seconds=ref_seconds,
        reference_rows_per_s=source_rows / ref_seconds,
    )
    result["ratio"] = result["rows_per_s"] / result["reference_rows_per_s"]
    return result


def main() -> None:
    rows = int(os.environ.get("ZHICHENG_BENCH_ROWS", "1000000"))
    r = run(rows)
    s = r["stats"]
    print(
        f"sources: 2 x {rows:,} rows, seeded {r['seeded_conflicts']:,} conflicting addresses and "
        f"{r['seeded_keyless']:,} key-less rows (setup {r['setup_seconds']:.1f}s, not timed)"
    )
    print(
        f"assembly: {r['seconds']:.2f}s  {r['rows_per_s']:,.0f} source rows/s  peak RSS {r['peak_mb']:.1f} MB "
        f"(before the run {r['baseline_mb']:.1f} MB)  records {r['records']:,}  conflicts {r['conflicts']:,}"
    )
    print(
        f"matching: by key {s['by_key']:,}  by entity resolution {s['by_er']:,}  pooled clusters "
        f"{s['clusters']:,}  single {s['single']:,}  compared {s['compared']:,}  "
        f"precision {r['precision']:.4f}  recall {r['recall']:.4f}"
    )
    print(
        f"sqlite3 JOIN (ref): {r['reference_seconds']:.2f}s  {r['reference_rows_per_s']:,.0f} source rows/s"
    )
    print(
        f"BENCH assembly rows_per_s={r['rows_per_s']:.0f} sqlite_join_rows_per_s={r['reference_rows_per_s']:.0f} "
        f"ratio={r['ratio']:.2f} peak_mb={r['peak_mb']:.1f}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--setup":
        print(json.dumps(setup(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        main()
