"""A labelled set of addresses written the way people write them, for measuring the geocoder.

Kept apart from the demo's generator (`zhicheng.demo.addresses` makes the layer; this file only reads its records
as the truth): its own seed and its own writing rules. Each sample is one record of the layer written with some of
  - the administrative part in full, from the city, from the district, as the district's short name, from the
    street, or left out (missing province and city, missing district);
  - door and building numbers in half-width digits, full-width digits, Chinese numerals (九百三十二) or digit by
    digit (九三二); 栋 written 幢, 座 or 号楼; a unit and room added (3单元502室);
  - "附近", "旁边", "对面", "门口", "旁边那个小区" after it, a leading "我家住在" / "位于";
  - a typo: one character of the road or place name swapped for a homophone (how an input method errs);
  - spaces and commas between the parts.
The expected answer is the record's level (门牌 for doors, buildings and POIs; 街路巷; 社区 for communities and
地片; 街道; 区县), point and codes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

SEED = 7_777_2026
KIND_WEIGHTS = (("门牌", 46), ("楼栋", 14), ("POI", 10), ("街路巷", 14), ("社区", 8), ("地片", 2), ("街道", 4),
                ("区县", 2))
EXPECTED_LEVEL = {"门牌": "门牌", "楼栋": "门牌", "POI": "门牌", "街路巷": "街路巷", "社区": "社区", "地片": "社区",
                  "街道": "街道", "区县": "区县"}
TOLERANCE_M = {"门牌": 60.0, "街路巷": 3000.0, "社区": 300.0, "街道": 300.0, "区县": 1000.0}
FULL_WIDTH = str.maketrans("0123456789ABCDEF", "０１２３４５６７８９ＡＢＣＤＥＦ")
VAGUE = ("附近", "旁边", "对面", "门口", "周边", "这边")
LEADS = ("我家住在", "位于", "地址：", "在")


@dataclass(frozen=True)
class Sample:
    """One labelled text."""

    text: str
    level: str
    lon: float
    lat: float
    district_code: str
    street_code: str
    community_name: str
    kind: str
    rules: tuple[str, ...]


def _homophones(rows: list[dict]) -> dict[str, list[str]]:
    """Characters of the layer's names grouped by toneless pinyin: the other members are an input method's typos."""
    from pypinyin import lazy_pinyin

    chars = {c for r in rows for c in (r["road_name"] + r["place_name"]) if "\u4e00" <= c <= "\u9fff"}
    chars |= set("鹿路陆绿录露麓芦卢炉湖胡虎壶护山衫珊杉善扇南男难楠东冬栋洞懂中钟忠终众华花话画化新心欣星兴"
                 "建剑健见件金今津斤近民明名鸣铭人仁任忍认和河合何荷平评屏瓶凭光广逛文闻问温稳")
    groups: dict[str, list[str]] = {}
    for c in sorted(chars):
        groups.setdefault(lazy_pinyin(c)[0], []).append(c)
    return {c: [o for o in groups[lazy_pinyin(c)[0]] if o != c] for c in chars}


def _numeral(rnd: random.Random, n: int, rules: list[str]) -> str:
    import cn2an

    roll = rnd.random()
    if roll < 0.55:
        return str(n)
    if roll < 0.72:
        rules.append("full_width")
        return str(n).translate(FULL_WIDTH)
    if roll < 0.9:
        rules.append("chinese_numeral")
        return cn2an.an2cn(n)
    rules.append("digit_by_digit")
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))


def _typo(rnd: random.Random, name: str, homophones: dict[str, list[str]], rules: list[str]) -> str:
    spots = [i for i, c in enumerate(name[:-1]) if homophones.get(c)]
    if not spots:
        return name
    i = rnd.choice(spots)
    rules.append("typo")
    return name[:i] + rnd.choice(homophones[name[i]]) + name[i + 1:]


def _admin(rnd: random.Random, r: dict, rules: list[str], *, allow_none: bool) -> str:
    district = r["district_name"]
    short = district[:-1] if len(district) > 2 and district != "长沙县" else district
    options = [("full", 0.15), ("city", 0.15), ("district", 0.3), ("short", 0.1), ("street", 0.1),
               ("none", 0.2 if allow_none else 0.0)]
    name = rnd.choices([n for n, _ in options], [w for _, w in options])[0]
    rules.append(f"admin_{name}")
    return {"full": f"湖南省长沙市{district}{r['street_name']}", "city": f"长沙市{district}", "district": district,
            "short": short, "street": f"{district}{r['street_name']}" if rnd.random() < 0.5 else r["street_name"],
            "none": ""}[name]


def write(rnd: random.Random, r: dict, homophones: dict[str, list[str]]) -> tuple[str, tuple[str, ...]]:
    """One record written as a person might write it; the text and the writing rules used."""
    rules: list[str] = []
    kind = r["address_kind"]
    if kind == "区县":
        text = r["district_name"] if rnd.random() < 0.7 else f"长沙市{r['district_name']}"
    elif kind == "街道":
        text = f"{_admin(rnd, r, rules, allow_none=True).removesuffix(r['street_name'])}{r['street_name']}"
    elif kind in ("社区", "地片"):
        name = r["community_name"] if kind == "社区" else r["place_name"]
        if kind == "社区" and rnd.random() < 0.3 and len(name) > 4:
            name = name.removesuffix("社区")
            rules.append("short_community")
        text = _admin(rnd, r, rules, allow_none=True) + name
    else:
        admin = _admin(rnd, r, rules, allow_none=True)
        road = _typo(rnd, r["road_name"], homophones, rules) if rnd.random() < 0.1 else r["road_name"]
        if kind == "街路巷":
            text = admin + road
        elif kind == "POI" and rnd.random() < 0.5:
            rules.append("poi_name")
            place = _typo(rnd, r["place_name"], homophones, rules) if rnd.random() < 0.05 else r["place_name"]
            text = admin + place
        else:
            number = int("".join(c for c in r["house_number"] if c.isdigit()))
            text = f"{admin}{road}{_numeral(rnd, number, rules)}号"
            if kind == "楼栋":
                b = int(r["building_no"].removesuffix("栋"))
                if rnd.random() < 0.3:
                    rules.append("estate_name")
                    text += r["place_name"]
                mark = rnd.choice(("栋", "栋", "幢", "座", "号楼"))
                if mark != "栋":
                    rules.append(f"building_{mark}")
                text += f"{_numeral(rnd, b, rules)}{mark}"
                if rnd.random() < 0.3:
                    rules.append("unit_room")
                    text += f"{rnd.randint(1, 4)}单元{rnd.randint(1, 30)}0{rnd.randint(1, 4)}室"
    if rnd.random() < 0.15:
        rules.append("vague")
        text += "旁边那个小区" if kind == "街路巷" and rnd.random() < 0.3 else rnd.choice(VAGUE)
    if rnd.random() < 0.08:
        rules.append("lead")
        text = rnd.choice(LEADS) + text
    if rnd.random() < 0.08:
        rules.append("spaces")
        cut = rnd.randrange(1, max(2, len(text)))
        text = text[:cut] + rnd.choice((" ", "，", "  ")) + text[cut:]
    return text, tuple(rules)


def samples(rows: Iterable[dict], count: int, seed: int = SEED) -> Iterator[Sample]:
    """`count` labelled samples drawn from the layer's records (the truth), written with this file's rules."""
    rows = list(rows)
    rnd = random.Random(seed)
    homophones = _homophones(rows)
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["address_kind"], []).append(r)
    kinds = [k for k, _ in KIND_WEIGHTS if by_kind.get(k)]
    weights = [w for k, w in KIND_WEIGHTS if by_kind.get(k)]
    for _ in range(count):
        kind = rnd.choices(kinds, weights)[0]
        r = rnd.choice(by_kind[kind])
        text, rules = write(rnd, r, homophones)
        yield Sample(text, EXPECTED_LEVEL[kind], float(r["longitude"]), float(r["latitude"]), r["district_code"],
                     r["street_code"], r["community_name"], kind, rules)


def judge(sample: Sample, answer) -> bool:
    """Whether an answer is right: the expected level, the expected district, within the level's tolerance."""
    from zhicheng.geo.addresses.index import metres_between

    if not answer.found or answer.level != sample.level or answer.district_code != sample.district_code:
        return False
    return metres_between(sample.lon, sample.lat, answer.lon, answer.lat) <= TOLERANCE_M[sample.level]
