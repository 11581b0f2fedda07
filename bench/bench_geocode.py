"""Benchmark of geocoding: 100,000 addresses (ZHICHENG_BENCH_ROWS) written the way people write them, geocoded in
batches against the demo's address layer, and the share matched at each level on a labelled set of 5,000.

The layer (`zhicheng.demo.addresses`, ~23,000 records) is imported into a fresh SQLite instance through the catalog
import, and the geocoder's index is built from it through `geo.addresses.service` (policy, masking, audit), as
the API does. The texts come from `bench/geocode_labelled.py` (its own seed and writing rules; the 100,000 with
another seed than the labelled 5,000).

Reference (the BENCH line's ratio): `cpca` alone over the same 100,000 texts in the same run — the kept library
that parses only the province/city/county part (it gives a county, never a point finer than that). A second
plain baseline, an exact-string look-up of the standard address (a dict), is reported for the matched shares.
Each side runs in a child process of its own (clean timing and peak RSS).
Run: `zhicheng bench geocode` or `python bench/bench_geocode.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
LABELLED = 5000
CHUNK = 2000


def _labelled_module():
    spec = importlib.util.spec_from_file_location("geocode_labelled", BENCH / "geocode_labelled.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["geocode_labelled"] = module
    spec.loader.exec_module(module)
    return module


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_inputs(folder: Path, count: int) -> None:
    """The layer as CSV, the labelled set and the 100,000 texts as JSON lines."""
    from zhicheng.demo import addresses
    from zhicheng.demo.generators import write_csv

    labelled = _labelled_module()
    rows = list(addresses.records())
    write_csv(folder / "layer.csv", addresses.COLUMNS, rows)
    with (folder / "labelled.jsonl").open("w", encoding="utf-8") as fh:
        for s in labelled.samples(rows, LABELLED):
            fh.write(json.dumps(s.__dict__, ensure_ascii=False) + "\n")
    with (folder / "texts.jsonl").open("w", encoding="utf-8") as fh:
        for s in labelled.samples(rows, count, seed=labelled.SEED + 1):
            fh.write(json.dumps(s.text, ensure_ascii=False) + "\n")
    print(f"layer {len(rows)} records, labelled {LABELLED}, texts {count}", flush=True)


def _texts(folder: Path) -> list[str]:
    with (folder / "texts.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _samples(folder: Path):
    labelled = _labelled_module()
    with (folder / "labelled.jsonl").open(encoding="utf-8") as fh:
        return labelled, [labelled.Sample(**{**d, "rules": tuple(d["rules"])}) for d in map(json.loads, fh)]


def _shares(labelled, samples, answers) -> dict:
    """Share of the labelled set answered at each level, and right (level, district, distance) per level."""
    got = Counter(a.level or "none" for a in answers)
    right = Counter(s.level for s, a in zip(samples, answers, strict=True) if labelled.judge(s, a))
    want = Counter(s.level for s in samples)
    return {"answered": {k: round(v / len(samples), 4) for k, v in got.items()},
            "right": {k: round(right[k] / want[k], 4) for k in want},
            "right_all": round(sum(right.values()) / len(samples), 4)}


def child_ours(folder: Path) -> dict:
    """Import the layer through the catalog, build the index through the service, geocode everything."""
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.geo.addresses import service

    engine = make_engine(f"sqlite:///{folder / 'zhicheng.db'}")
    migrate(engine)
    with make_sessionmaker(engine)() as db:
        dept = accounts.create_department(db, actor=SYSTEM, name="长沙市自然资源和规划局", kind="bureau",
                                          region_code="430100")
        user = accounts.create_user(db, actor=SYSTEM, username="nature_officer", password="Bench-2026-pass",
                                    display_name="自然资源数据员", department_id=dept.id, roles=["data_officer"])
        officer = accounts.actor_for(user)
        doc = json.loads((BENCH.parent / "src/zhicheng/demo/data/resources.json").read_text("utf-8"))
        spec = next(r for r in doc if r["key"] == "standard_addresses")
        data = {k: spec[k] for k in ("name", "catalog_class", "subclass", "summary", "format", "file_formats",
                                     "share_type", "share_condition", "share_basis", "share_method", "open_type",
                                     "open_condition", "update_cycle", "tags", "spatial", "items") if k in spec}
        res = catalog.create_resource(db, actor=officer, data={**data, "department_id": dept.id})
        started = time.perf_counter()
        report = datasets.import_file(db, actor=officer, resource_id=res.id, path=folder / "layer.csv",
                                      filename="layer.csv")
        assert report.ok, report.errors[:3]
        imported = time.perf_counter() - started
        started = time.perf_counter()
        geocoder, _layer = service.geocoder_for(db, actor=officer)
        built = time.perf_counter() - started
    labelled, samples = _samples(folder)
    shares = _shares(labelled, samples, geocoder.geocode_many([s.text for s in samples]))
    texts = _texts(folder)
    base_mb = peak_mb()
    started = time.perf_counter()
    levels = Counter(a.level or "none" for a in service.geocode_texts(geocoder, texts))
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rate": len(texts) / seconds, "levels": dict(levels), "shares": shares,
            "import_s": imported, "index_s": built, "peak_mb": peak_mb(), "before_mb": base_mb}


def child_cpca(folder: Path) -> dict:
    """cpca alone over the same texts (the reference), and its county on the labelled set."""
    import cpca

    texts = _texts(folder)
    labelled, samples = _samples(folder)
    frame = cpca.transform([s.text for s in samples])
    county_right = sum(1 for s, code in zip(samples, frame["adcode"], strict=True) if code == s.district_code)
    started = time.perf_counter()
    found = 0
    for i in range(0, len(texts), CHUNK):
        out = cpca.transform(texts[i:i + CHUNK])
        found += int(out["区"].notna().sum())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rate": len(texts) / seconds, "county_found": found / len(texts),
            "county_right": county_right / len(samples), "peak_mb": peak_mb()}


def child_exact(folder: Path) -> dict:
    """Exact-string look-up of the standard address (a dict over the layer's full_address)."""
    import csv

    with (folder / "layer.csv").open(encoding="utf-8") as fh:
        table = {r["full_address"]: (r["address_kind"], r["district_code"]) for r in csv.DictReader(fh)}
    labelled, samples = _samples(folder)
    right = sum(1 for s in samples if s.text in table and table[s.text][1] == s.district_code)
    texts = _texts(folder)
    started = time.perf_counter()
    found = sum(1 for t in texts if t in table)
    seconds = time.perf_counter() - started
    return {"rate": len(texts) / max(seconds, 1e-9), "found": found / len(texts), "right": right / len(samples)}


def _child(kind: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(folder)], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    count = int(os.environ.get("ZHICHENG_BENCH_ROWS", "100000"))
    with tempfile.TemporaryDirectory(prefix="bench-geocode-") as tmp:
        folder = Path(tmp)
        write_inputs(folder, count)
        ours = _child("ours", folder)
        ref = _child("cpca", folder)
        exact = _child("exact", folder)
    sh = ours["shares"]
    print(f"layer import {ours['import_s']:.1f}s, index build (through the catalog) {ours['index_s']:.1f}s")
    print(f"ours: {count} texts in {ours['seconds']:.1f}s = {ours['rate']:,.0f} addresses/s, peak RSS "
          f"{ours['peak_mb']:.0f} MB (before the batch {ours['before_mb']:.0f} MB); levels of the {count}: "
          + " ".join(f"{k}={v / count:.3f}" for k, v in sorted(ours["levels"].items())))
    print(f"labelled set ({LABELLED}): answered at level " + " ".join(f"{k}={v:.3f}" for k, v in
                                                                      sorted(sh["answered"].items())))
    print("labelled set: right at the expected level (level, district, distance) "
          + " ".join(f"{k}={v:.3f}" for k, v in sorted(sh["right"].items())) + f" all={sh['right_all']:.3f}")
    print(f"cpca alone (ref): {ref['rate']:,.0f} addresses/s, a county for {ref['county_found']:.3f} of the texts, "
          f"the right county for {ref['county_right']:.3f} of the labelled set (no finer level, no point); "
          f"peak RSS {ref['peak_mb']:.0f} MB")
    print(f"exact-string look-up: matches {exact['found']:.3f} of the texts, right for {exact['right']:.3f} of the "
          f"labelled set")
    print(f"BENCH geocode addresses_per_s={ours['rate']:.0f} cpca_addresses_per_s={ref['rate']:.0f} "
          f"ratio={ours['rate'] / ref['rate']:.2f} peak_mb={ours['peak_mb']:.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        result = {"ours": child_ours, "cpca": child_cpca, "exact": child_exact}[sys.argv[2]](Path(sys.argv[3]))
        print(json.dumps(result))
    else:
        main()
