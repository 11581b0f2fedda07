"""Every Chinese string of the portal's pages has its English translation, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

from zhicheng.opendata import pages
from zhicheng.web.i18n import english_catalog

PKG = Path(__file__).resolve().parents[2] / "src" / "zhicheng" / "opendata"
LITERAL = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')""")
FIELD = re.compile(r'field\("[a-z_]+", "([^"]+)"')
HINT = re.compile(r'hint="([^"]+)"')
NAV = re.compile(r'\("/open[a-z/]*", "([^"]+)"\)')
FLASH = re.compile(r'(?:flash|_back)\(\s*request,[^\u4e00-\u9fff\n]*?"([^"]*[\u4e00-\u9fff][^"]*)"')
CRUMB = re.compile(r'\("([^"]*[\u4e00-\u9fff][^"]*)", (?:None|"/open[^"]*"|f"/open[^"]*")\)')
HAN = re.compile(r"[\u4e00-\u9fff]")


def strings() -> set[str]:
    found: set[str] = set(pages.FACETS.values())
    for path in (PKG / "templates" / "opendata").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        found.update(a or b for a, b in LITERAL.findall(text))
        found.update(FIELD.findall(text) + HINT.findall(text) + NAV.findall(text))
    for path in [*PKG.glob("*pages.py"), *PKG.glob("*/pages.py")]:
        text = path.read_text(encoding="utf-8")
        found.update(FLASH.findall(text) + CRUMB.findall(text))
    return {s for s in found if HAN.search(s)}


def test_every_portal_string_has_english():
    found = strings()
    assert {"开放数据目录", "密钥已吊销", "数据提供方", "我的开放平台"} <= found
    english = english_catalog()
    missing = sorted(s for s in found if not english.get(s))
    assert not missing, f"add to src/zhicheng/opendata/locale/en.po: {missing}"
    for zh in found:
        assert set(re.findall(r"%\(\w+\)s", zh)) == set(re.findall(r"%\(\w+\)s", english[zh])), zh


def test_portal_in_english(client, open_data):
    r = client.get("/open/datasets?lang=en", headers={"Accept": "text/html"})
    assert "Open data catalogue" in r.text and "open datasets found" in r.text
