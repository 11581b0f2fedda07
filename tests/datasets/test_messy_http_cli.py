"""Messy files over the API, the pages and the command line: preview, header row, mapping, and who imported."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from zhicheng.catalog.datasets import jobs
from zhicheng.catalog.datasets.models import DatasetVersion
from zhicheng.cli import app as cli_app

from .conftest import HEADER_LABELS, person
from .test_api_pages import wait_for
from .test_cli_memory import cli_env  # noqa: F401 - the fixture
from .test_messy_files import DEPT_HEADER, messy_csv, messy_xlsx

ODD_HEADER = ["序号", "身份证号", *HEADER_LABELS[1:]]  # a numbering column and the ID column named otherwise


def odd_rows(count: int) -> list[list[str]]:
    return [[str(n), *person(n)] for n in range(1, count + 1)]


def test_api_preview_is_the_pages_json_twin_and_the_import_takes_header_row_and_mapping(
        client, people, officers, auth_headers, tmp_path):
    headers = auth_headers(officers["police_user"])
    path = messy_csv(tmp_path / "名单.csv", odd_rows(12), header=ODD_HEADER)
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports/preview", headers=headers,
                        files={"file": ("名单.csv", fh, "text/csv")})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["header_row"] == 3 and got["exact"] is False
    assert got["unmatched_columns"] == ["序号", "身份证号"] and got["missing_required"] == ["sfzh"]
    assert got["mapping"]["sfzh"] is None and got["mapping"]["xm"] == "姓名"
    assert got["rows"][0] == {"line": 4, "cells": ["1", *person(1)]}

    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports", headers=headers,
                        files={"file": ("名单.csv", fh, "text/csv")},
                        data={"header_row": "3", "mapping": json.dumps({"sfzh": "身份证号"}, ensure_ascii=False)})
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "succeeded" and job["rows_read"] == 12, job

    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports", headers=headers,
                        files={"file": ("名单.csv", fh, "text/csv")}, data={"mapping": "[1, 2]"})
    assert r.status_code == 422 and r.json()["field"] == "mapping"
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports", headers=headers,
                        files={"file": ("名单.csv", fh, "text/csv")}, data={"mapping": '{"sfzh": "证件号"}'})
    assert r.status_code == 422 and r.json()["field"] == "mapping" and "证件号" in r.json()["detail"]
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports", headers=headers,
                        files={"file": ("名单.csv", fh, "text/csv")}, data={"header_row": "40"})
    assert r.status_code == 422 and r.json()["field"] == "header_row"


def test_page_upload_goes_through_the_mapping_step(client, people, officers, login, tmp_path):
    csrf = login(client, officers["police_user"])
    path = messy_xlsx(tmp_path / "名单.xlsx", odd_rows(8), header=ODD_HEADER)
    with path.open("rb") as fh:
        r = client.post(f"/catalog/{people.id}/import", data={"csrf_token": csrf}, files={"file": ("名单.xlsx", fh)},
                        follow_redirects=False)
    assert r.status_code == 303 and "/import/" in r.headers["location"], r.text
    step = r.headers["location"]
    page = client.get(step)
    assert page.status_code == 200 and 'id="mapping-form"' in page.text and "第 3 行" in page.text
    assert "身份证号" in page.text and person(1)[1] in page.text  # the first rows are shown
    english = client.get(step + "?lang=en").text
    assert "Check the columns" in english and "The header is on row 3" in english and "(not imported)" in english

    part = client.get(step + "?partial=1&header_row=1")  # htmx: another header row chosen
    assert part.status_code == 200 and "<html" not in part.text and 'value="1" selected' in part.text

    choices = [f"{i}=" for i in ("sfzh", "xm", "csrq", "dqdm", "sjhm", "zz", "jzrs", "sr", "dy")]
    r = client.post(step, data={"csrf_token": csrf, "header_row": "3", "map": choices}, follow_redirects=False)
    assert r.status_code == 422 and "必填信息项「公民身份号码」" in r.text  # shown on the page, nothing started

    choices = ["sfzh=2", "xm=3", "csrq=4", "dqdm=5", "sjhm=6", "zz=7", "jzrs=8", "sr=9", "dy="]
    r = client.post(step, data={"csrf_token": csrf, "header_row": "3", "map": choices}, follow_redirects=False)
    assert r.status_code == 303 and "/imports/" in r.headers["location"], r.text
    assert jobs.wait(r.headers["location"].rsplit("/", 1)[1], timeout=120)
    assert "已导入 8 行，生成第 1 版" in client.get(r.headers["location"]).text
    assert client.get(step).status_code == 404  # the kept upload belongs to the job now


def test_exact_files_skip_the_mapping_step(client, people, officers, login, tmp_path):
    from .conftest import write_csv

    csrf = login(client, officers["police_user"])
    path = write_csv(tmp_path / "p.csv", [person(n) for n in range(1, 4)])
    with path.open("rb") as fh:
        r = client.post(f"/catalog/{people.id}/import", data={"csrf_token": csrf}, files={"file": ("p.csv", fh)},
                        follow_redirects=False)
    assert r.status_code == 303 and "/imports/" in r.headers["location"]


def test_cli_header_row_and_the_file_column_in_errors(cli_env, people, tmp_path):  # noqa: F811
    rows = [person(n) for n in range(1, 8)]
    rows[1][0] = "4.30104199001011E+17"
    rows[2][0] = rows[2][0][:6] + "19901301" + rows[2][0][14:]
    path = messy_csv(tmp_path / "人口.csv", rows, header=["身份证号", *DEPT_HEADER[1:]])
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path), "--header-row", "3",
                                          "--map", "sfzh=身份证号"])
    assert result.exit_code == 1
    assert "第 5 行「身份证号」列：此列被 Excel 存成了数字，身份证号后几位已丢失" in result.output
    assert "第 6 行「身份证号」列：公民身份号码无效：出生日期 19901301 不是有效日期" in result.output

    result = CliRunner().invoke(cli_app, ["import", people.code, str(path), "--header-row", "2"])
    assert result.exit_code == 1  # zhicheng.cli.main prints an AppError as one line
    assert result.exception.field == "header_row" and "第 2 行是空行，不能作表头" in result.exception.zh


def test_cli_import_as_a_named_user_is_theirs_in_versions_audit_and_lineage(cli_env, db, people, officers,  # noqa: F811
                                                                            tmp_path):
    from tests.helpers.accounts import DEFAULT_PASSWORD
    from zhicheng.lineage import service as lineage
    from zhicheng.policy.models import AuditEntry

    user = officers["police_user"]
    path = messy_xlsx(tmp_path / "人口.xlsx", [person(n) for n in range(1, 11)], header=DEPT_HEADER)
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path), "--as", user.username,
                                          "--as-password", DEFAULT_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "version=1 rows=10 header_row=3 by=公安数据员" in result.output
    dv = db.scalars(select(DatasetVersion).where(DatasetVersion.resource_id == people.id)).one()
    assert (dv.imported_by, dv.imported_by_name) == (user.id, "公安数据员")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dataset.import")).one()
    assert entry.actor_kind == "user" and entry.detail["via"] == "cli"

    graph = lineage.graph(db, actor=officers["police"], resource_id=people.id)
    version = next(n for n in graph["nodes"] if n["kind"] == "dataset")
    assert version["ref"] == f"{people.id}/v1"
    edge = next(e for e in graph["edges"] if e["source"] == version["id"])
    assert edge["kind"] == "version_of" and edge["detail"]["by"] == "公安数据员" and edge["detail"]["via"] == "cli"

    other = officers["housing_user"]  # 住建局 may not import into 公安局's resource, from the CLI either
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path), "--as", other.username,
                                          "--as-password", DEFAULT_PASSWORD])
    assert result.exit_code == 1
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path), "--as", user.username,
                                          "--as-password", "wrong-password"])
    assert result.exit_code == 1


def test_cli_import_without_as_is_recorded_as_the_console_operator(cli_env, db, people, tmp_path):  # noqa: F811
    import getpass

    path = messy_csv(tmp_path / "人口.csv", [person(n) for n in range(1, 4)])
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path)])
    assert result.exit_code == 0, result.output
    dv = db.scalars(select(DatasetVersion).where(DatasetVersion.resource_id == people.id)).one()
    assert dv.imported_by is None and dv.imported_by_name == f"cli:{getpass.getuser()}"
