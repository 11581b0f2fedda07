"""Languages: zh-CN by default, en selectable; messages in Chinese with English catalogs per domain (locale/en.po)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from fastapi import Request

LANGUAGES = {"zh-CN": "中文", "en": "English"}
COOKIE = "zhicheng_lang"
PKG = Path(__file__).resolve().parent.parent


def normalise(lang: str | None) -> str | None:
    if not lang:
        return None
    return "en" if lang.lower().startswith("en") else ("zh-CN" if lang.lower().startswith("zh") else None)


def request_language(request: Request) -> str:
    """?lang= beats the cookie, which beats the instance default (zh-CN)."""
    return (
        normalise(request.query_params.get("lang"))
        or normalise(request.cookies.get(COOKIE))
        or normalise(request.app.state.settings.language)
        or "zh-CN"
    )


@lru_cache
def english_catalog() -> dict[str, str]:
    """Every domain's locale/en.po merged: Chinese msgid -> English msgstr."""
    merged: dict[str, str] = {}
    for po in sorted(PKG.rglob("locale/en.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh, locale="en"):
                if msg.id and msg.string and isinstance(msg.id, str):
                    merged[msg.id] = msg.string
    return merged


def translate(text: str, lang: str) -> str:
    """The text in `lang`; source strings are Chinese, so zh-CN (and anything untranslated) returns it as is."""
    if lang == "en":
        return english_catalog().get(text, text)
    return text
