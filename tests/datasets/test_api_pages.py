"""Over HTTP: upload → job → progress → report; versions and rows as JSON and CSV; the import pages."""

from __future__ import annotations

import time

from zhicheng.catalog.datasets import jobs

from .conftest import HEADER_LABELS, HEADER_NAMES, person, write_csv


def wait_for(client, job_id: str, headers: dict) -> dict:
    assert jobs.wait(job_id, timeout=120)
    for _ in range(50):
        body = client.get(f"/api/v1/imports/{job_id}", headers=headers).json()
        if body["state"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(body)


def test_upload_import_then_read_versions_and_rows(client, people, officers, auth_headers, tmp_path):
    headers = auth_headers(officers["police_user"])
    path = write_csv(tmp_path / "人口.csv", [person(n) for n in range(1, 121)], encoding="gbk")
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports", headers=headers,
                        files={"file": ("人口.csv", fh, "text/csv")})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/imports/{r.json()['id']}"
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "succeeded" and job["version"] == 1 and job["rows_read"] == 120, job

    versions = client.get(f"/api/v1/catalog/resources/{people.id}/versions", headers=headers).json()
    assert [(v["version"], v["row_count"], v["encoding"]) for v in versions] == [(1, 120, "gb18030")]

    page = client.get(f"/api/v1/catalog/resources/{people.id}/versions/1/rows?limit=5&offset=10",
                      headers=headers).json()
    assert page["columns"] == HEADER_NAMES and page["row_count"] == 120
    assert [row[0] for row in page["rows"]] == [person(n)[0] for n in range(11, 16)]

    csv_text = client.get(f"/api/v1/catalog/resources/{people.id}/versions/1/rows?format=csv",
                          headers=headers).text
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(HEADER_LABELS) and len(lines) == 121  # headed by the Chinese labels
    assert lines[1].startswith(person(1)[0] + "," + person(1)[1])


def test_bad_file_job_reports_every_bad_row(client, people, officers, auth_headers, tmp_path):
    headers = auth_headers(officers["police_user"])
    rows = [person(n) for n in range(1, 6)]
    rows[2][3] = "999999"  # not a region code
    rows[4][3] = "12345"  # not a region code either
    path = write_csv(tmp_path / "bad.csv", rows)
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports?lang=en", headers=headers,
                        files={"file": ("bad.csv", fh, "text/csv")})
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "failed" and job["version"] is None
    assert [(e["line"], e["column"], e["item"]) for e in job["errors"]] == [(4, "行政区划代码", "dqdm"),
                                                                            (6, "行政区划代码", "dqdm")]
    assert client.get(f"/api/v1/catalog/resources/{people.id}/versions", headers=headers).json() == []


def test_other_department_gets_403_and_oversized_gets_413(client, app, people, officers, auth_headers, tmp_path):
    path = write_csv(tmp_path / "p.csv", [person(1)])
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports",
                        headers=auth_headers(officers["housing_user"]), files={"file": ("p.csv", fh)})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    app.state.settings.max_upload_mb = 1
    big = write_csv(tmp_path / "big.csv", [person(n) for n in range(1, 30000)])
    with big.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports",
                        headers=auth_headers(officers["police_user"]), files={"file": ("big.csv", fh)})
    assert r.status_code == 413, r.text
    assert r.json()["field"] == "file"
    assert not list((app.state.settings.data / "uploads").iterdir())


def test_unsupported_upload_is_a_clear_problem(client, people, officers, auth_headers, tmp_path):
    (tmp_path / "p.docx").write_bytes(b"PK\x03\x04")
    with (tmp_path / "p.docx").open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{people.id}/imports",
                        headers=auth_headers(officers["police_user"]), files={"file": ("p.docx", fh)})
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert "不支持的文件格式" in r.json()["detail"]


def test_import_pages_upload_progress_report(client, people, officers, login, tmp_path):
    csrf = login(client, officers["police_user"])
    form = client.get(f"/catalog/{people.id}/import")
    assert form.status_code == 200 and "公民身份号码" in form.text and 'name="csrf_token"' in form.text
    rows = [person(n) for n in range(1, 4)]
    rows[1][1] = ""
    bad = write_csv(tmp_path / "bad.csv", rows)
    with bad.open("rb") as fh:
        r = client.post(f"/catalog/{people.id}/import", data={"csrf_token": csrf}, files={"file": ("bad.csv", fh)},
                        follow_redirects=False)
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    assert jobs.wait(job_url.rsplit("/", 1)[1], timeout=120)
    report = client.get(job_url + "?partial=1")
    assert 'id="import-errors"' in report.text and "必填项为空" in report.text and "hx-get" not in report.text
    good = write_csv(tmp_path / "good.csv", [person(n) for n in range(1, 4)])
    with good.open("rb") as fh:
        r = client.post(f"/catalog/{people.id}/import", data={"csrf_token": csrf}, files={"file": ("good.csv", fh)},
                        follow_redirects=False)
    job_url = r.headers["location"]
    assert jobs.wait(job_url.rsplit("/", 1)[1], timeout=120)
    page = client.get(job_url)
    assert "已导入 3 行，生成第 1 版" in page.text
    versions = client.get(f"/catalog/{people.id}/versions")
    assert 'id="versions"' in versions.text and "good.csv" in versions.text
    preview = client.get(f"/catalog/{people.id}/versions/1?lang=en")
    assert person(2)[0] in preview.text and "Download CSV" in preview.text


def test_import_form_without_csrf_is_refused(client, people, officers, login, tmp_path):
    login(client, officers["police_user"])
    path = write_csv(tmp_path / "p.csv", [person(1)])
    with path.open("rb") as fh:
        r = client.post(f"/catalog/{people.id}/import", files={"file": ("p.csv", fh)}, follow_redirects=False)
    assert r.status_code == 403
