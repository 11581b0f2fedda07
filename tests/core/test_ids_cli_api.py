"""Identifiers at the command line (`zhicheng id ...`) and over HTTP (/api/v1/ids), plus identify()."""

from __future__ import annotations

from typer.testing import CliRunner

from zhicheng.cli import app as cli_app
from zhicheng.core.errors import AppError
from zhicheng.core.ids import identify

runner = CliRunner()


def test_identify_guesses_each_kind():
    assert identify("11010519491231002X")["kind"] == "citizen_id"
    assert identify("110105491231002")["kind"] == "citizen_id"
    assert identify("91350100M000100Y43")["kind"] == "credit_code"
    assert identify("430124")["kind"] == "region_code"
    assert identify("hello")["kind"] == "unknown"
    result = identify("11010519491231002X")
    assert result["valid"] and result["details"]["birth_date"] == "1949-12-31" and result["error"] is None
    bad = identify("110105194912310021")
    assert not bad["valid"] and "应为 X" in bad["error"]["zh"] and bad["error"]["field"] == "value"


def test_identify_all_digit_credit_code():
    from zhicheng.core.ids import credit_code

    # a credit code can be all digits, like a citizen ID number: validity decides which it is
    code = next(c for n in range(10_000, 20_000)
                if (c := credit_code.make("9", "1", "430100", f"{n:08d}")).isdigit())
    result = identify(code)
    assert result["kind"] == "credit_code" and result["valid"]


def test_cli_check_citizen_id():
    result = runner.invoke(cli_app, ["id", "check", "11010519491231002X"])
    assert result.exit_code == 0, result.output
    for text in ("公民身份号码", "citizen ID", "有效 / valid", "1949-12-31", "女", "北京市 › 朝阳区"):
        assert text in result.output


def test_cli_check_retired_region_in_old_id():
    result = runner.invoke(cli_app, ["id", "check", "430124900517024"])
    assert result.exit_code == 0, result.output
    assert "宁乡县" in result.output and "已撤销 / retired" in result.output
    assert "430124199005170242" in result.output


def test_cli_check_credit_code_and_legacy_warning():
    result = runner.invoke(cli_app, ["id", "check", "91350100M000100Y43"])
    assert result.exit_code == 0, result.output
    for text in ("统一社会信用代码", "工商", "企业", "福建省 › 福州市", "M000100Y-4"):
        assert text in result.output
    warned = runner.invoke(cli_app, ["id", "check", "91350100M000100Y44"])
    assert warned.exit_code == 0 and "警告 / warning" in warned.output
    strict = runner.invoke(cli_app, ["id", "check", "--strict", "91350100M000100Y44"])
    assert strict.exit_code == 1 and isinstance(strict.exception, AppError)
    assert "应为 3" in strict.exception.zh


def test_cli_check_invalid_is_exit_1_with_one_message():
    result = runner.invoke(cli_app, ["id", "check", "110105194912310021"])
    assert result.exit_code == 1
    assert isinstance(result.exception, AppError)
    assert result.exception.zh == "公民身份号码无效：校验码错误：第 18 位应为 X，实际为 1"
    assert result.exception.en.startswith("invalid citizen ID number: wrong check character")
    assert runner.invoke(cli_app, ["id", "check", "hello"]).exit_code == 1


def test_cli_region():
    result = runner.invoke(cli_app, ["id", "region", "430124"])
    assert result.exit_code == 0, result.output
    for text in ("宁乡县", "2017-04-09", "430182 宁乡市", "已撤销"):
        assert text in result.output
    listed = runner.invoke(cli_app, ["id", "region", "4301", "--children"])
    assert listed.exit_code == 0 and "芙蓉区" in listed.output and "宁乡市" in listed.output
    for bad in ("abc", "999999"):
        failed = runner.invoke(cli_app, ["id", "region", bad])
        assert failed.exit_code == 1 and isinstance(failed.exception, AppError)
        assert failed.exception.field == "code"


def test_cli_main_prints_one_line_and_exits_1(monkeypatch, capsys):
    import pytest

    from zhicheng import cli

    monkeypatch.setattr("sys.argv", ["zhicheng", "id", "check", "11010519491231002Y"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "错误 / error:" in err and "Traceback" not in err


def test_api_check_valid(client):
    r = client.get("/api/v1/ids/check", params={"value": "11010519491231002X"})
    assert r.status_code == 200
    body = r.json()
    assert body["kind"] == "citizen_id" and body["valid"] and body["details"]["sex"] == "F"
    r = client.get("/api/v1/ids/check", params={"value": "91350100M000100Y44"})
    assert r.status_code == 200 and r.json()["details"]["warnings"]


def test_api_check_invalid_is_problem_json(client):
    r = client.get("/api/v1/ids/check", params={"value": "110105194912310021"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["field"] == "value" and body["code"] == "invalid_citizen_id" and "应为 X" in body["detail"]
    en = client.get("/api/v1/ids/check", params={"value": "110105194912310021", "lang": "en"}).json()
    assert "should be X" in en["detail"]
    strict = client.get("/api/v1/ids/check", params={"value": "91350100M000100Y44", "legacy": "error"})
    assert strict.status_code == 422 and strict.json()["code"] == "invalid_credit_code"
    assert client.get("/api/v1/ids/check").status_code == 422
    assert client.get("/api/v1/ids/check", params={"value": "x" * 100}).status_code == 422


def test_api_region(client):
    r = client.get("/api/v1/ids/regions/430124")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "宁乡县" and body["retired"] and body["valid_to"] == "2017-04-09"
    assert body["successors"] == [{"code": "430182", "name": "宁乡市"}]
    assert body["path"] == ["湖南省", "长沙市", "宁乡县"]
    city = client.get("/api/v1/ids/regions/420600", params={"on": "2005-01-01"}).json()
    assert city["name"] == "襄樊市" and [h["name"] for h in city["history"]] == ["襄樊市", "襄阳市"]
    assert "芙蓉区" in [c["name"] for c in client.get("/api/v1/ids/regions/430100").json()["children"]]


def test_api_region_errors(client):
    r = client.get("/api/v1/ids/regions/abc")
    assert r.status_code == 422 and r.json()["field"] == "code"
    assert client.get("/api/v1/ids/regions/999999").status_code == 404
    assert client.get("/api/v1/ids/regions/430124", params={"on": "2020-01-01"}).status_code == 404
    assert client.get("/api/v1/ids/regions/430124", params={"on": "not-a-date"}).status_code == 422


def test_api_region_search(client):
    r = client.get("/api/v1/ids/regions", params={"q": "宁乡"})
    assert r.status_code == 200 and r.json()["items"][0]["code"] == "430182"
    retired = client.get("/api/v1/ids/regions", params={"q": "宁乡县", "retired": "true"}).json()
    assert retired["items"][0]["code"] == "430124" and retired["items"][0]["retired"]
    under = client.get("/api/v1/ids/regions", params={"parent": "430100"}).json()
    assert "宁乡市" in [i["name"] for i in under["items"]]
    provinces = client.get("/api/v1/ids/regions").json()
    assert provinces["count"] == 31 and provinces["items"][0]["name"] == "北京市"
    assert client.get("/api/v1/ids/regions", params={"parent": "bad"}).status_code == 422
    assert client.get("/api/v1/ids/regions", params={"parent": "999999"}).status_code == 404
    assert client.get("/api/v1/ids/regions", params={"limit": 0}).status_code == 422
