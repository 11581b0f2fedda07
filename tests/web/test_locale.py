"""Every Chinese page string of the web shell and the catalog pages has its English translation."""

from __future__ import annotations

import re
from pathlib import Path

from zhicheng.catalog import page_forms
from zhicheng.web.app import ROUTERS
from zhicheng.web.i18n import english_catalog
from zhicheng.web.navigation import GROUPS, collect_navigation

SRC = Path(__file__).resolve().parents[2] / "src" / "zhicheng"
TEMPLATES = [*(SRC / "web" / "templates").rglob("*.html"), *(SRC / "catalog" / "templates").rglob("*.html")]
LITERAL = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')""")
# labels handed to the form macros, which translate them: text("name", "资源名称", ...)
MACRO_LABEL = re.compile(r"""\{\{\s*(?:text|area|select)\(\s*"[^"]+",\s*"([^"]+)"(?P<rest>[^}]*)\}\}""")
HINT = re.compile(r'(?:hint|blank)="([^"]+)"')
HAN = re.compile(r"[\u4e00-\u9fff]")
FLASH = re.compile(r'flash\(request, .*?, "([^"]+)"')
LIFECYCLE = re.compile(r'_lifecycle\(request, db, resource_id, "([^"]+)"')


def page_strings() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        found.update(a or b for a, b in LITERAL.findall(text))
        for m in MACRO_LABEL.finditer(text):
            found.add(m.group(1))
            found.update(HINT.findall(m.group("rest")))
    pages = (SRC / "catalog" / "pages.py").read_text(encoding="utf-8")
    found.update(FLASH.findall(pages) + LIFECYCLE.findall(pages))
    found.update(re.findall(r'\("([^"]+)", (?:None|"/catalog")\)', pages))
    found.update(item.label for item in collect_navigation(ROUTERS).items)
    found.update(label for _key, label, _order in GROUPS)
    found.update(page_forms.FACETS.values())
    found.update(page_forms.ACTION_NAMES.values())
    return {s for s in found if HAN.search(s)}


def test_every_page_string_has_english():
    strings = page_strings()
    assert {"资源名称", "有条件共享时必填", "修改已保存。", "已提交审核，请等待平台管理员审核。", "目录审核",
            "资源「%(name)s」已发布。"} <= strings
    english = english_catalog()
    missing = sorted(s for s in strings if not english.get(s))
    assert not missing, f"add to src/zhicheng/web/locale/en.po: {missing}"


def test_placeholders_survive_translation():
    english = english_catalog()
    for zh in page_strings():
        assert set(re.findall(r"%\(\w+\)s", zh)) == set(re.findall(r"%\(\w+\)s", english.get(zh, zh))), zh
