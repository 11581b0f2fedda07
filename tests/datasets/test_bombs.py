"""An attacker uploads decompression bombs and monster lines: each import is refused with the limit named, and the
process that ran it never held more than 300 MB, whatever the file (issue #11, security break 1).

Each import runs in a child process (tests/datasets/import_child.py) whose peak resident memory is read back;
the child also caps its address space, so that a regression fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import bombs
from .conftest import HEADER_LABELS

BOUND_MB = 300
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def import_in_child(settings, user, resource, path: Path, filename: str | None = None, **limits) -> dict:
    """Import `path` through the service in a fresh process (limits as ZHICHENG_* settings); its outcome."""
    env = {**os.environ, **{f"ZHICHENG_{key.upper()}": str(value) for key, value in limits.items()}}
    out = subprocess.run([sys.executable, "-m", "tests.datasets.import_child", settings.db_url, str(user.id),
                          str(resource.id), str(path), filename or path.name],
                         capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{path.name} ({path.stat().st_size / 1e6:.1f} MB on disk) {limits or ''}: peak {result['peak_mb']} MB; "
          f"{result['en']}")
    return result


def refused(result: dict, *words: str) -> None:
    assert result["ok"] is False
    for word in words:
        assert word in result["zh"], result["zh"]
    assert result["peak_mb"] < BOUND_MB, f"peak {result['peak_mb']} MB"


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """The bombs, built once for the module (some take seconds to deflate)."""
    folder = tmp_path_factory.mktemp("bombs")
    built: dict[str, Path] = {}

    def get(name: str, build) -> Path:
        if name not in built:
            built[name] = build(folder / name)
        return built[name]

    return get


def test_one_row_of_20_million_inline_cells(workshop, settings, people, officers):
    path = workshop("cells.xlsx", lambda p: bombs.inline_cells_bomb(p, HEADER_LABELS))
    assert path.stat().st_size < 3_000_000  # 2.2 MB, as the attacker's
    user = officers["police_user"]
    refused(import_in_child(settings, user, people, path), "文件超出限制", "压缩比")
    # and read as it streams, when the ratio does not stop it first
    refused(import_in_child(settings, user, people, path, import_max_ratio=100_000), "一行的单元格数超过 16,384",
            "ZHICHENG_IMPORT_MAX_CELLS_PER_ROW")


def test_20_million_shared_strings(workshop, settings, people, officers):
    path = workshop("strings.xlsx", lambda p: bombs.shared_strings_bomb(p, HEADER_LABELS))
    assert path.stat().st_size < 3_500_000
    user = officers["police_user"]
    refused(import_in_child(settings, user, people, path), "压缩比")
    refused(import_in_child(settings, user, people, path, import_max_ratio=100_000,
                            import_max_shared_strings=200_000), "共享字符串的个数超过 200,000")


def test_a_single_cell_of_1_gib(workshop, settings, people, officers):
    user = officers["police_user"]
    inline = workshop("cell.xlsx", lambda p: bombs.huge_cell_bomb(p, HEADER_LABELS))
    refused(import_in_child(settings, user, people, inline), "压缩比")
    refused(import_in_child(settings, user, people, inline, import_max_ratio=100_000), "一个单元格")
    shared = workshop("cell-shared.xlsx", lambda p: bombs.huge_cell_bomb(p, HEADER_LABELS, 64 * bombs.MB,
                                                                         shared=True))
    refused(import_in_child(settings, user, people, shared, import_max_ratio=100_000), "共享字符串的字符数超过 32,767")


def test_a_zip_member_that_inflates_to_1_gib(workshop, settings, people, officers):
    user = officers["police_user"]
    path = workshop("member.xlsx", lambda p: bombs.zip_member_bomb(p, HEADER_LABELS))
    refused(import_in_child(settings, user, people, path), "压缩比")
    refused(import_in_child(settings, user, people, path, import_max_ratio=100_000), "xl/styles.xml 的大小超过 8 MB")
    refused(import_in_child(settings, user, people, path, import_max_ratio=100_000, import_max_uncompressed_mb=512),
            "解压后的大小超过 512 MB")


def test_a_zip_member_lying_about_its_size(workshop, settings, people, officers, tmp_path):
    source = workshop("cells.xlsx", lambda p: bombs.inline_cells_bomb(p, HEADER_LABELS))
    path = tmp_path / "liar.xlsx"
    path.write_bytes(source.read_bytes())
    bombs.lying_sizes(path, "xl/worksheets/sheet1.xml", 4096)  # inflates to 760 MB, says 4 KB
    refused(import_in_child(settings, officers["police_user"], people, path), "XLSX 文件内容损坏")


def test_csv_with_one_huge_line(tmp_path, settings, people, officers):
    user = officers["police_user"]
    path = bombs.csv_long_line(tmp_path / "line.csv", HEADER_LABELS, 256 * bombs.MB)
    refused(import_in_child(settings, user, people, path), "第 2 行", "一行（或一条跨行记录）的字符数超过 1,048,576")
    cells = bombs.csv_many_cells(tmp_path / "cells.csv", HEADER_LABELS, 20_000_000)
    refused(import_in_child(settings, user, people, cells), "第 2 行", "字符数超过")
    refused(import_in_child(settings, user, people, cells, import_max_line_kb=64 * 1024), "一行的单元格数超过 16,384")


def test_csv_cell_longer_than_excel_allows(tmp_path, settings, people, officers):
    path = tmp_path / "cell.csv"
    path.write_text(",".join(HEADER_LABELS) + "\n" + "a" * 40_000 + "\n")
    refused(import_in_child(settings, officers["police_user"], people, path), "第 2 行", "一个单元格的字符数超过 32,767")


def test_json_with_one_huge_string_or_deep_nesting(tmp_path, settings, people, officers):
    user = officers["police_user"]
    path = bombs.json_huge_string(tmp_path / "string.json", "xm", 256 * bombs.MB)
    refused(import_in_child(settings, user, people, path), "一条记录（或一个值）的字节数超过 4")
    deep = bombs.json_deep(tmp_path / "deep.json", "xm", 1_000_000)
    refused(import_in_child(settings, user, people, deep), "嵌套层数超过 64")
    geo = bombs.json_deep(tmp_path / "deep.geojson", "xm", 1_000_000, geo=True)
    refused(import_in_child(settings, user, people, geo), "嵌套层数超过 64")


def test_a_department_file_still_imports_within_the_bound(tmp_path, settings, people, officers):
    from openpyxl import Workbook

    from .conftest import person

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["常住人口基本信息（2026 年）"])  # a title above the header, as departments' sheets have
    sheet.append(HEADER_LABELS)
    for n in range(1, 20_001):
        sheet.append(person(n))
    path = tmp_path / "人口.xlsx"
    book.save(path)
    result = import_in_child(settings, officers["police_user"], people, path)
    assert result["ok"], result
    assert result["peak_mb"] < BOUND_MB


def test_bombs_uploaded_over_http_fail_their_jobs_and_the_server_stays_small(workshop, settings, engine, people,
                                                                              officers, auth_headers):
    """The real path: a `zhicheng` server process, the bombs uploaded to the import API, each job failed with
    the limit named; the server's own peak memory read from /proc afterwards."""
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = ("import uvicorn\nfrom zhicheng.core.settings import Settings\nfrom zhicheng.web.app import create_app\n"
            f"uvicorn.run(create_app(Settings(data={str(settings.data)!r}, database_url={settings.db_url!r}, "
            f"secret_key={settings.secret_key!r})), host='127.0.0.1', port={port}, log_level='warning')")
    env = {**os.environ, "ZHICHENG_IMPORT_MAX_RATIO": "100000", "ZHICHENG_IMPORT_MAX_SHARED_STRINGS": "1000000"}
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    headers = auth_headers(officers["police_user"])
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        bombs_and_words = [
            (workshop("cells.xlsx", lambda p: bombs.inline_cells_bomb(p, HEADER_LABELS)), "一行的单元格数"),
            (workshop("strings.xlsx", lambda p: bombs.shared_strings_bomb(p, HEADER_LABELS)), "共享字符串的个数"),
            (workshop("cell.xlsx", lambda p: bombs.huge_cell_bomb(p, HEADER_LABELS)), "一个单元格"),
        ]
        for path, words in bombs_and_words:
            with path.open("rb") as fh:
                r = httpx.post(f"{base}/api/v1/catalog/resources/{people.id}/imports", headers=headers,
                               files={"file": (path.name, fh)}, timeout=120)
            assert r.status_code == 202, r.text
            for _ in range(1200):
                job = httpx.get(f"{base}/api/v1/imports/{r.json()['id']}", headers=headers, timeout=30).json()
                if job["state"] in ("succeeded", "failed"):
                    break
                time.sleep(0.25)
            assert job["state"] == "failed" and words in job["message_zh"], job
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
        print(f"server peak after the bombs: {peak:.1f} MB")
        assert peak < BOUND_MB
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert list((settings.data / "uploads").iterdir()) == []
