"""Seeded generators of the demo city's data: people, enterprises, standard addresses, licences, air quality.

Everything here is synthetic except what is said otherwise (区划 names and codes, air-quality readings, licence
item names): the people and enterprises do not exist, their identifiers are valid but made up.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

from zhicheng.core.ids import citizen_id, credit_code
from zhicheng.demo import names
from zhicheng.demo.city import CITY_CODE, Division, districts, streets

SEED = 20260101
TODAY = date(2026, 1, 1)  # the generated data's "now", fixed so the data never changes between runs


class Weighted:
    """Draws from (value, weight) pairs with a given Random, in O(log n)."""

    def __init__(self, pairs: Iterable[tuple[object, int]]) -> None:
        pairs = list(pairs)
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))

    def pick(self, rnd: random.Random):
        return self.values[bisect.bisect_right(self.cum, rnd.random() * self.cum[-1])]


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> int:
    """Write rows (dicts) as UTF-8 CSV with a header of item names; return the row count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


# ------------------------------------------------------------------ places

@cache
def _streets_by_district() -> dict[str, list[Division]]:
    out: dict[str, list[Division]] = {}
    for s in streets():
        out.setdefault(s.parent_code, []).append(s)
    return out


@cache
def _district_names() -> dict[str, str]:
    return {d.code: d.name for d in districts()}


@cache
def _district_shapes():
    """Each district's boundary (CGCS2000 lon/lat) as a prepared Shapely geometry, for point sampling."""
    import json

    from shapely.geometry import shape
    from shapely.prepared import prep

    src = resources.files("zhicheng.demo").joinpath("data", "changsha_districts.geojson")
    doc = json.loads(src.read_text(encoding="utf-8"))
    out = {}
    for feat in doc["features"]:
        geom = shape(feat["geometry"])
        out[str(feat["properties"]["adcode"])] = (geom.bounds, prep(geom))
    return out


def point_in_district(rnd: random.Random, district_code: str) -> tuple[float, float]:
    """A random (lon, lat) inside the district's real boundary (rejection sampling in its bounding box)."""
    from shapely.geometry import Point

    (minx, miny, maxx, maxy), prepared = _district_shapes()[district_code]
    for _ in range(1000):
        lon, lat = rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)
        if prepared.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)
    return round((minx + maxx) / 2, 6), round((miny + maxy) / 2, 6)


def _road(rnd: random.Random) -> str:
    return rnd.choice(names.ROAD_STEMS) + rnd.choice(names.ROAD_SUFFIXES)


def _street_address(rnd: random.Random, district_code: str) -> tuple[Division, str]:
    street = rnd.choice(_streets_by_district()[district_code])
    estate = rnd.choice(names.ROAD_STEMS) + rnd.choice(names.ESTATE_SUFFIXES)
    text = (f"长沙市{_district_names()[district_code]}{street.name}{_road(rnd)}{rnd.randint(1, 399)}号"
            f"{estate}{rnd.randint(1, 30)}栋{rnd.randint(1, 33)}{rnd.randint(1, 4):02d}室")
    return street, text


# ------------------------------------------------------------------ people

PEOPLE_COLUMNS = ("citizen_id", "name", "sex", "birth_date", "ethnicity", "mobile", "district_code", "street_name",
                  "address", "residence_since")


def person_name(rnd: random.Random, male: bool) -> str:
    surname = _SURNAMES.pick(rnd)
    pool = names.MALE_CHARS if male else names.FEMALE_CHARS
    if rnd.random() < 0.25:
        return surname + rnd.choice(pool)
    first = rnd.choice(names.NEUTRAL_CHARS) if rnd.random() < 0.4 else rnd.choice(pool)
    return surname + first + rnd.choice(pool)


_SURNAMES = Weighted(names.SURNAMES)
_ETHNIC = Weighted(names.ETHNIC_GROUPS)
_DISTRICT = Weighted(names.DISTRICT_WEIGHTS.items())


def mobile(rnd: random.Random) -> str:
    return rnd.choice(names.MOBILE_PREFIXES) + f"{rnd.randrange(10**8):08d}"


def people(count: int = 5000, seed: int = SEED) -> Iterator[dict]:
    """Residents born in Changsha's districts: valid GB 11643 IDs whose sex digit matches, names, mobiles, addresses."""
    rnd = random.Random(seed)
    seen_ids: set[str] = set()
    seen_mobiles: set[str] = set()
    while len(seen_ids) < count:
        district = _DISTRICT.pick(rnd)
        birth = TODAY - timedelta(days=int(rnd.triangular(0, 95 * 365, 34 * 365)))
        male = rnd.random() < 0.51
        seq = rnd.randrange(500)
        cid = citizen_id.make(district, birth, seq, "M" if male else "F")
        if cid in seen_ids:
            continue
        seen_ids.add(cid)
        phone = mobile(rnd)
        while phone in seen_mobiles:
            phone = mobile(rnd)
        seen_mobiles.add(phone)
        street, address = _street_address(rnd, _DISTRICT.pick(rnd) if rnd.random() < 0.3 else district)
        since = birth + timedelta(days=rnd.randint(0, max(0, (TODAY - birth).days)))
        yield {
            "citizen_id": cid, "name": person_name(rnd, male), "sex": "男" if male else "女",
            "birth_date": birth.isoformat(), "ethnicity": _ETHNIC.pick(rnd),
            "mobile": phone if (TODAY - birth).days > 12 * 365 else "",
            "district_code": street.parent_code, "street_name": street.name, "address": address,
            "residence_since": since.isoformat(),
        }


# ------------------------------------------------------------------ enterprises

ENTERPRISE_COLUMNS = ("credit_code", "entity_name", "entity_type", "legal_representative", "registered_capital",
                      "established_on", "district_code", "address", "business_scope", "status")

_FORMS = Weighted(((suffix, kind), w) for suffix, kind, w in names.ENTITY_FORMS)
_STATUS = Weighted(names.ENTITY_STATUSES)
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 alphabet: no I O S V Z


@dataclass(frozen=True)
class Enterprise:
    credit_code: str
    name: str


def enterprises(count: int = 1000, seed: int = SEED + 1) -> Iterator[dict]:
    """Market entities registered in Changsha: valid GB 32100 codes (registered there), names, capital, scope."""
    rnd = random.Random(seed)
    seen_codes: set[str] = set()
    seen_names: set[str] = set()
    while len(seen_codes) < count:
        district = _DISTRICT.pick(rnd)
        suffix, kind = _FORMS.pick(rnd)
        industry, scope = rnd.choice(names.INDUSTRIES)
        trade = rnd.choice(names.TRADE_NAMES) + (rnd.choice(names.TRADE_NAMES) if rnd.random() < 0.35 else "")
        name = f"长沙{trade}{industry}{suffix}" if suffix != "商行" else f"长沙市{_district_names()[district]}{trade}{industry}商行"
        if name in seen_names:
            continue
        established = TODAY - timedelta(days=rnd.randint(30, 30 * 365))
        # codes issued since 2015 carry an "MA" organisation code; older ones kept their 8-digit 组织机构代码
        body = ("MA4" + "".join(rnd.choice(_CODE_CHARS) for _ in range(5)) if established.year >= 2015
                else f"{rnd.randrange(10**8):08d}")
        code = credit_code.make("9", "1", district, body)  # 9 市场监管 · 1 企业
        if code in seen_codes:
            continue
        seen_codes.add(code)
        seen_names.add(name)
        capital = rnd.choice((10, 30, 50, 100, 200, 500, 1000, 3000, 5000)) * (1 if rnd.random() < 0.8 else 10)
        _street, address = _street_address(rnd, district)
        yield {
            "credit_code": code, "entity_name": name, "entity_type": kind,
            "legal_representative": person_name(rnd, rnd.random() < 0.6),
            "registered_capital": f"{capital:.4f}", "established_on": established.isoformat(),
            "district_code": district, "address": address.rsplit("号", 1)[0] + "号", "business_scope": scope,
            "status": _STATUS.pick(rnd),
        }


# ------------------------------------------------------------------ standard addresses

ADDRESS_COLUMNS = ("address_code", "district_code", "street_code", "street_name", "road_name", "house_number",
                   "building_no", "full_address", "longitude", "latitude")


def addresses(per_street: int = 15, seed: int = SEED + 2) -> Iterator[dict]:
    """Standard addresses on every real street office of Changsha, with points inside the real district boundary."""
    rnd = random.Random(seed)
    for street in streets():
        district = street.parent_code
        roads = [_road(rnd) for _ in range(3)]
        for n in range(1, per_street + 1):
            road = rnd.choice(roads)
            number = f"{rnd.randint(1, 399)}号"
            building = f"{rnd.randint(1, 20)}栋"
            lon, lat = point_in_district(rnd, district)
            yield {
                "address_code": f"{street.code}{n:05d}",
                "district_code": district, "street_code": street.code, "street_name": street.name,
                "road_name": road, "house_number": number, "building_no": building,
                "full_address": f"湖南省长沙市{_district_names()[district]}{street.name}{road}{number}{building}",
                "longitude": f"{lon:.6f}", "latitude": f"{lat:.6f}",
            }


# ------------------------------------------------------------------ real tables bundled with the demo

DIVISION_COLUMNS = ("code", "name", "level", "parent_code")


def divisions() -> Iterator[dict]:
    """The city, its districts/counties and its street offices/townships (real NBS 2023 names and codes)."""
    yield {"code": CITY_CODE, "name": "长沙市", "level": "市", "parent_code": "430000"}
    for d in districts():
        yield {"code": d.code, "name": d.name, "level": "区县", "parent_code": d.parent_code}
    for s in streets():
        yield {"code": s.code, "name": s.name, "level": "乡镇街道", "parent_code": s.parent_code}


AIR_COLUMNS = ("station", "observed_at", "pm25", "pm10", "so2", "no2", "co", "o3", "temperature", "pressure",
               "dew_point", "rain", "wind_direction", "wind_speed")
_AIR_SOURCE = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3",
               "temperature": "TEMP", "pressure": "PRES", "dew_point": "DEWP", "rain": "RAIN", "wind_direction": "wd",
               "wind_speed": "WSPM"}


# the twelve national monitoring stations of the UCI data, by their Chinese names (北京市生态环境监测中心)
BEIJING_STATIONS = {"Aotizhongxin": "奥体中心", "Changping": "昌平镇", "Dingling": "定陵", "Dongsi": "东四",
                    "Guanyuan": "官园", "Gucheng": "古城", "Huairou": "怀柔镇", "Nongzhanguan": "农展馆",
                    "Shunyi": "顺义新城", "Tiantan": "天坛", "Wanliu": "海淀区万柳", "Wanshouxigong": "万寿西宫"}


def _one_decimal(text: str) -> str:
    """A reading to one decimal place (the source carries a few interpolated values); NA stays empty."""
    return "" if text in ("", "NA") else f"{float(text):.1f}"


def air_quality(last_day: int = 7) -> Iterator[dict]:
    """Hourly readings of 12 stations, 2017-02-01 … 02-`last_day` (UCI Beijing multi-site data, CC BY 4.0)."""
    src = resources.files("zhicheng.demo").joinpath("data", "beijing_aq_2017-02-01_07.csv.gz")
    with src.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            if int(rec["day"]) > last_day:
                continue
            row = {k: _one_decimal(rec[v]) for k, v in _AIR_SOURCE.items() if k != "wind_direction"}
            row["wind_direction"] = "" if rec["wd"] == "NA" else rec["wd"]
            row["station"] = BEIJING_STATIONS.get(rec["station"], rec["station"])
            row["observed_at"] = (f"{int(rec['year']):04d}-{int(rec['month']):02d}-{int(rec['day']):02d}T"
                                  f"{int(rec['hour']):02d}:00:00+08:00")
            yield row


_NOT_FOR_FIRMS = ("教师", "个人", "居民", "公民", "学生", "儿童", "少年", "社会团体", "民办", "宗教", "婚", "残疾",
                  "学校", "幼儿园", "医师", "医生", "护士", "律师", "户口", "身份")
LICENCE_COLUMNS = ("licence_no", "licence_name", "item_code", "holder_name", "holder_credit_code", "decided_on",
                   "valid_to", "authority")


def licences(holders: Sequence[Enterprise], count: int = 600, seed: int = SEED + 3) -> Iterator[dict]:
    """行政许可 decisions for generated enterprises; item names are real ones (广安区 catalogue, Apache-2.0)."""
    rnd = random.Random(seed)
    with resources.files("zhicheng.demo").joinpath("data", "gov_service_licences.csv").open(
            encoding="utf-8", newline="") as fh:
        # items granted to enterprises (not those only a person, a school or a social group applies for)
        items = [r for r in csv.DictReader(fh) if not any(w in r["item_name"] for w in _NOT_FOR_FIRMS)]
    authorities = ["长沙市行政审批服务局"] + [
        f"{'' if d.name.endswith('市') else '长沙市'}{d.name}行政审批服务局" for d in districts()]
    for n in range(1, count + 1):
        holder = rnd.choice(holders)
        item = rnd.choice(items)
        decided = TODAY - timedelta(days=rnd.randint(1, 3 * 365))
        yield {
            "licence_no": f"长审批许〔{decided.year}〕{n:05d}号", "licence_name": item["item_name"],
            "item_code": item["item_code"], "holder_name": holder.name, "holder_credit_code": holder.credit_code,
            "decided_on": decided.isoformat(),
            "valid_to": (decided + timedelta(days=365 * rnd.choice((1, 3, 5)))).isoformat(),
            "authority": rnd.choice(authorities),
        }
