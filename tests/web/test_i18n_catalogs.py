"""The domains' English catalogs agree: one msgid (and msgctxt) has one translation, since i18n merges them into one."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "zhicheng"


def translations() -> dict[tuple[str | None, object], dict[object, list[str]]]:
    """(msgctxt, msgid) -> English msgstr -> the en.po files that give it, over every domain's catalog."""
    found: dict[tuple[str | None, object], dict[object, list[str]]] = defaultdict(lambda: defaultdict(list))
    for po in sorted(SRC.rglob("locale/en.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh, locale="en"):
                if msg.id and msg.string:  # what english_catalog() reads: fuzzy entries count too
                    found[(msg.context, msg.id)][msg.string].append(str(po.relative_to(ROOT)))
    return found


def test_catalogs_are_found():
    assert len(list(SRC.rglob("locale/en.po"))) >= 10
    assert "匹配级别" in {msgid for _ctx, msgid in translations()}


def test_one_translation_per_msgid():
    """english_catalog() keeps whichever en.po comes last in path order, so a second translation silently wins."""
    conflicts = {key: by_text for key, by_text in translations().items() if len(by_text) > 1}
    lines = []
    for (ctx, msgid), by_text in sorted(conflicts.items(), key=lambda kv: (kv[0][0] or "", str(kv[0][1]))):
        lines.append(f"{msgid!r}" + (f" (msgctxt {ctx!r})" if ctx else ""))
        lines.extend(f"    {path}: {text!r}" for text, paths in by_text.items() for path in paths)
    if conflicts:
        pytest.fail(f"{len(conflicts)} msgids are translated differently in two en.po files; pick one English that "
                    "fits every use, or give the Chinese of a use that means something else its own wording:\n"
                    + "\n".join(lines), pytrace=False)
