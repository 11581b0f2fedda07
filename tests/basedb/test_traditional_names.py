"""A record written in traditional characters finds its simplified twin in entity resolution, for the names and
addresses the old 90-character table missed (OpenCC's t2s, phrases included)."""

from __future__ import annotations

import pytest

from zhicheng.basedb import matching

# (as a source wrote it, as the register has it); none of these was fully simplified by the old table
MISSED = [
    ("歐陽曉麗", "欧阳晓丽"),
    ("鄒韜奮", "邹韬奋"),
    ("臺灣路", "台湾路"),
    ("天心區書院路9號", "天心区书院路9号"),
    ("長沙市衛生健康委員會", "长沙市卫生健康委员会"),
    ("鬱金香花園", "郁金香花园"),
    ("乾燥劑廠", "干燥剂厂"),  # a phrase: 乾 becomes 干 here, but stays in 乾隆
]


@pytest.mark.parametrize(("written", "register"), MISSED)
def test_a_traditional_spelling_normalises_to_the_register(written, register):
    assert matching.normalise_text(written) == matching.normalise_text(register) == register


def test_a_name_a_phrase_keeps_is_not_simplified_away():
    assert matching.normalise_text("乾隆 路") == "乾隆路"


def test_the_traditional_record_is_matched_to_the_keyed_person():
    keyed = matching.profile(0, 1, "欧阳晓丽", "1990-05-04", "天心区书院路9号")
    pool = matching.Pool()
    pool.add(matching.profile(1, 7, "歐陽 曉麗", "1990-05-04", "天心區書院路９號"))
    pool.add(matching.profile(1, 8, "歐陽曉紅", "1990-05-04", "岳麓區"))  # someone else
    pool.offer(keyed, "430104199005040023")
    matched = pool.matched(matching.DEFAULT_THRESHOLD)
    assert [(p.source, p.row, p.best) for p in matched["430104199005040023"]] == [(1, 7, 1.0)]
