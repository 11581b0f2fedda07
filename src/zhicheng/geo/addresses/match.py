"""Geocoding against one address index: parse (cpca for the administrative part, the layer's own names through
its automaton, rapidfuzz for misspelt roads), then the finest level the text and the layer agree on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz, process

from zhicheng.geo.addresses.index import AddressIndex, Place, metres_between, pinyin_of
from zhicheng.geo.addresses.normalise import MAX_CHARS, normalise

CITY_PREFIX = "4301"  # the city the layer covers: an address cpca places elsewhere is not ours
BASE_SCORE = {"门牌": 1.0, "街路巷": 0.85, "社区": 0.7, "街道": 0.6, "区县": 0.4}
_DOOR = re.compile(r"^(?:[^\d]{0,2}?)(\d+)(?:-\d+)?号(?!楼)")
_BUILDING = re.compile(r"([A-Z]|\d+)栋")
_UNIT = re.compile(r"(\d+)单元")
_ROOM = re.compile(r"(\d+)(?:室|房)|(?:单元|栋)(\d{3,4})$")
_ROAD_LIKE = re.compile(r"([\u4e00-\u9fff]{1,8}(?:大道|大街|路|街|巷|道))")


@dataclass
class Answer:
    """What one text geocodes to."""

    query: str
    normalised: str = ""
    found: bool = False
    level: str = ""  # 门牌 / 街路巷 / 社区 / 街道 / 区县
    score: float = 0.0
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    address_code: str = ""
    kind: str = ""  # the kind of the record matched (门牌, 楼栋, POI, 地片, 街路巷, …)
    district_code: str = ""
    district_name: str = ""
    street_code: str = ""
    street_name: str = ""
    community_code: str = ""
    community_name: str = ""
    road_name: str = ""
    house_number: str = ""
    building_no: str = ""
    unit_no: str = ""
    room_no: str = ""
    interpolated: bool = False
    vague: bool = False
    fuzzy: bool = False
    reason: str = ""  # why nothing was found (Chinese), when found is False
    reason_en: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _admin_parse(texts: Sequence[str]) -> list[tuple[str, int]]:
    """cpca's (adcode, position where its match starts) for each text; ("", -1) where it finds nothing."""
    import cpca

    frame = cpca.transform(list(texts), pos_sensitive=True)
    out = []
    for adcode, p_pos, c_pos, d_pos in zip(frame["adcode"], frame["省_pos"], frame["市_pos"], frame["区_pos"],
                                           strict=True):
        code = adcode if isinstance(adcode, str) else ""
        positions = [int(p) for p in (p_pos, c_pos, d_pos) if p == p and p is not None and int(p) >= 0]
        out.append((code, min(positions) if positions else -1))
    return out


def _fill(ans: Answer, place: Place, level: str) -> None:
    ans.found, ans.level, ans.kind = True, level, place.kind
    ans.lon, ans.lat = place.lon, place.lat
    ans.address, ans.address_code = place.full_address, place.code
    ans.district_code, ans.district_name = place.district_code, place.district_name
    ans.street_code, ans.street_name = place.street_code, place.street_name
    ans.community_code, ans.community_name = place.community_code, place.community_name
    ans.road_name, ans.house_number, ans.building_no = place.road_name, place.house_number, place.building_no


class Geocoder:
    """Free Chinese text → the finest record of one address index that the text names."""

    def __init__(self, index: AddressIndex) -> None:
        self.index = index

    def geocode_many(self, texts: Sequence[str]) -> list[Answer]:
        """Each text's answer (the administrative part of all of them parsed by cpca in one call)."""
        norms = [normalise(t) for t in texts]
        tokens = [self._tokens(n.text) for n in norms]
        # cpca reads the administrative part where the layer's own names leave a prefix unexplained (another
        # city's "北京市朝阳区…", a county the layer does not name) or explain nothing at all
        ask = [i for i, (n, tok) in enumerate(zip(norms, tokens, strict=True)) if n.text and tok[1] >= 2]
        admin: dict[int, tuple[str, int]] = {}
        if ask:
            admin = dict(zip(ask, _admin_parse([norms[i].text for i in ask]), strict=True))
        return [self._one(t, n.text, n.vague, tok[0], admin.get(i, ("", -1)))
                for i, (t, n, tok) in enumerate(zip(texts, norms, tokens, strict=True))]

    def _tokens(self, text: str) -> tuple[list[tuple[int, str, tuple]], int]:
        """The layer's names found in `text` (end, name, refs), longest first at each place, and how many
        characters come before the first of them that is not the province or city."""
        found = [(end, name, refs) for end, (name, refs) in self.index.automaton.iter_long(text)]
        first = next((end - len(name) + 1 for end, name, refs in found if refs[0][0] != "X"), len(text))
        covered = sum(len(name) for end, name, refs in found if refs[0][0] == "X" and end < first)
        return found, first - covered

    def geocode(self, text: str) -> Answer:
        return self.geocode_many([text])[0]

    # -- one text --------------------------------------------------------------------------------------------

    def _one(self, query: str, text: str, vague: bool, tokens: list, admin: tuple[str, int]) -> Answer:
        ix = self.index
        ans = Answer(query=query, normalised=text, vague=vague)
        if not text or len(text) > MAX_CHARS:
            ans.reason, ans.reason_en = "地址为空或过长", "the address is empty or too long"
            return ans
        districts: list[str] = []
        streets: list[str] = []
        short_streets: list[str] = []
        spans: list[tuple[int, int]] = []
        communities: list[int] = []
        roads: list[tuple[str, int]] = []  # (name, end position)
        places: list[tuple[str, int]] = []
        for end, name, refs in tokens:
            spans.append((end - len(name) + 1, end + 1))
            for kind, ref in refs:
                if kind == "D":
                    districts.append(ref)
                elif kind == "S":
                    (streets if ix.places[ix.streets[ref]].street_name == name else short_streets).append(ref)
                elif kind == "C":
                    communities.append(ref)
                elif kind == "R":
                    roads.append((name, end + 1))
                elif kind == "P":
                    places.append((name, end + 1))
        streets += short_streets
        adcode, admin_pos = admin
        if adcode and not adcode.startswith(CITY_PREFIX) and admin_pos == 0 and not (roads or places or streets):
            ans.reason, ans.reason_en = "地址不在本市范围内", "the address is outside the city"
            return ans
        if adcode.startswith(CITY_PREFIX) and len(adcode) == 6 and adcode in ix.districts and not districts:
            districts.append(adcode)
        district = districts[0] if districts else ""
        street = next((s for s in streets if not district or s[:6] == district), streets[0] if streets else "")
        if street and not district:
            district = street[:6]
        penalty = 1.0
        if street and district and street[:6] != district:
            penalty *= 0.8
        community = self._community(communities, district, street)

        road, road_end, road_place, fuzzy = self._road(text, spans, roads, district, street)
        tail_door = _DOOR.search(text[road_end:]) if road_place is not None else None
        building = _BUILDING.search(text)
        unit, room = _UNIT.search(text), _ROOM.search(text)
        ans.unit_no = f"{unit.group(1)}单元" if unit else ""
        ans.room_no = f"{room.group(1) or room.group(2)}室" if room else ""
        place = self._place(places, district, street)

        if road_place is not None and tail_door is not None:
            number = int(tail_door.group(1))
            key = (road_place.district_code, road_place.road_name, number)
            door = ix.doors.get(key)
            if door is not None:
                target = ix.places[door]
                if building is not None:
                    found = ix.buildings.get(key, {}).get(building.group(1))
                    if found is not None:
                        target = ix.places[found]
                _fill(ans, target, "门牌")
            else:
                self._interpolate(ans, road_place, number)
            penalty *= self._consistency(ans, district, street)
        elif road_place is not None and place is not None and ix.places[place].road_name == road_place.road_name:
            self._place_answer(ans, ix.places[place], building)
        elif road_place is not None:
            target = road_place
            _fill(ans, target, "街路巷")
            if community is not None:  # the stretch of the road nearest the community named
                self._nearest_on_road(ans, road_place, ix.places[community])
            penalty *= self._consistency(ans, district, street)
        elif place is not None:
            self._place_answer(ans, ix.places[place], building)
            penalty *= self._consistency(ans, district, street)
        elif community is not None:
            _fill(ans, ix.places[community], "社区")
        elif street and street in ix.streets:
            _fill(ans, ix.places[ix.streets[street]], "街道")
        elif district and district in ix.districts:
            _fill(ans, ix.places[ix.districts[district]], "区县")
        else:
            ans.reason, ans.reason_en = "无法识别为本市的地址", "not recognised as an address in this city"
            return ans
        if ans.level in ("街路巷", "门牌") and community is not None and not ans.community_code:
            ans.community_code = ix.places[community].community_code
            ans.community_name = ix.places[community].community_name
        if ans.level != "门牌":
            ans.building_no = ans.building_no if ans.kind == "楼栋" else ""
        ans.fuzzy = fuzzy < 100
        score = BASE_SCORE[ans.level] * penalty * (fuzzy / 100)
        if vague:
            score *= 0.9
        if ans.interpolated:
            score *= 0.9
        ans.score = round(max(0.01, min(1.0, score)), 2)
        return ans

    def _community(self, communities: list[int], district: str, street: str) -> int | None:
        places = self.index.places
        for want in (street, district, ""):
            for c in communities:
                p = places[c]
                if not want or p.street_code == want or p.district_code == want:
                    return c
        return None

    def _road(self, text: str, spans: list[tuple[int, int]], roads: list[tuple[str, int]], district: str,
              street: str):
        """(name, end position in text, the road record, similarity 0–100): named exactly, else the closest name
        of the district (or the city) to a road-like part of the text that no other name explains."""
        ix = self.index
        for name, end in roads:
            door = _DOOR.search(text[end:])
            record = self._pick(ix.roads[name], district, street, int(door.group(1)) if door else None)
            if record is not None:
                return name, end, ix.places[record], 100.0
        choices = ix.road_choices(district)
        if spans:  # names found (streets, communities, places) are not misspelt roads
            chars = list(text)
            for start, end in spans:
                chars[start:end] = "|" * (end - start)
            text = "".join(chars)
        match = _ROAD_LIKE.search(text)
        while match is not None:
            cand = match.group(1)
            best: tuple[float, str] | None = None
            for start in range(max(0, len(cand) - 6), len(cand) - 1):
                piece = cand[start:]
                found = process.extractOne(pinyin_of(piece), choices, scorer=fuzz.ratio, score_cutoff=80)
                if found is not None:
                    similarity = (found[1] + fuzz.ratio(piece, found[2])) / 2
                    if fuzz.ratio(piece, found[2]) >= 50 and (best is None or similarity > best[0]):
                        best = (similarity, found[2])
            if best is not None:
                door = _DOOR.search(text[match.end(1):])
                record = self._pick(ix.roads[best[1]], district, street, int(door.group(1)) if door else None)
                if record is not None:
                    return best[1], match.end(1), ix.places[record], best[0]
            match = _ROAD_LIKE.search(text, match.end(1))
        return "", len(text), None, 100.0

    def _pick(self, records: list[int], district: str, street: str, number: int | None = None) -> int | None:
        """The record of a name in the street named, else the district named, else (a road without either) the
        one that holds the door number written, else the first."""
        places = self.index.places
        for want in (street, district):
            if want:
                for r in records:
                    if places[r].street_code == want or places[r].district_code == want:
                        return r
        if number is not None and len(records) > 1:
            for r in records:
                if (places[r].district_code, places[r].road_name, number) in self.index.doors:
                    return r
        return records[0] if records else None

    def _place(self, places: list[tuple[str, int]], district: str, street: str) -> int | None:
        for name, _end in places:
            record = self._pick(self.index.named[name], district, street)
            if record is not None:
                return record
        return None

    def _place_answer(self, ans: Answer, place: Place, building) -> None:
        ix = self.index
        target = place
        if building is not None and place.kind == "POI":
            number = int("".join(c for c in place.house_number if c.isdigit()) or 0)
            found = ix.buildings.get((place.district_code, place.road_name, number), {}).get(building.group(1))
            if found is not None:
                target = ix.places[found]
        _fill(ans, target, "门牌" if place.kind == "POI" else "社区")
        if place.place_name:
            ans.notes.append(place.place_name)

    def _consistency(self, ans: Answer, district: str, street: str) -> float:
        """Less trust when the text names a district or street other than the one the record lies in."""
        factor = 1.0
        if district and ans.district_code != district:
            factor *= 0.7
            ans.notes.append("district_mismatch")
        elif street and ans.street_code and ans.street_code != street:
            factor *= 0.85
            ans.notes.append("street_mismatch")
        return factor

    def _interpolate(self, ans: Answer, road: Place, number: int) -> None:
        """A number the layer does not hold: placed between the nearest numbers of its side of the road."""
        ix = self.index
        doors = ix.doors_on_road.get((road.district_code, road.road_name), [])
        same = [d for d in doors if d[0] % 2 == number % 2] or doors
        _fill(ans, road, "街路巷")
        ans.house_number = f"{number}号"
        if not same:
            return
        below = [d for d in same if d[0] < number]
        above = [d for d in same if d[0] > number]
        if below and above:
            (n1, i1), (n2, i2) = below[-1], above[0]
            t = (number - n1) / (n2 - n1)
            p1, p2 = ix.places[i1], ix.places[i2]
            ans.lon, ans.lat = p1.lon + (p2.lon - p1.lon) * t, p1.lat + (p2.lat - p1.lat) * t
            near = p1 if t < 0.5 else p2
        else:
            near = ix.places[(below[-1] if below else above[0])[1]]
            ans.lon, ans.lat = near.lon, near.lat
        ans.lon, ans.lat = round(ans.lon, 6), round(ans.lat, 6)
        ans.interpolated = True
        ans.community_code, ans.community_name = near.community_code, near.community_name

    def _nearest_on_road(self, ans: Answer, road: Place, community: Place) -> None:
        import shapely

        line = self.index.road_lines.get(self._road_index(road))
        if line is None:
            return
        pt = line.interpolate(line.project(shapely.Point(community.lon, community.lat)))
        ans.lon, ans.lat = round(pt.x, 6), round(pt.y, 6)
        ans.community_code, ans.community_name = community.community_code, community.community_name

    def _road_index(self, road: Place) -> int:
        for i in self.index.roads.get(road.road_name, []):
            if self.index.places[i] is road:
                return i
        return -1


def reverse(index: AddressIndex, lon: float, lat: float) -> dict:
    """A point's district, street and community (the boundaries that contain it) and its nearest address."""
    out: dict = {"lon": lon, "lat": lat, "district": None, "street": None, "community": None, "nearest": None}
    for kind, key in (("区县", "district"), ("街道", "street"), ("社区", "community")):
        found = index.containing(kind, lon, lat)
        if found is not None:
            p = index.places[found]
            out[key] = {"district": {"code": p.district_code, "name": p.district_name},
                        "street": {"code": p.street_code, "name": p.street_name},
                        "community": {"code": p.community_code, "name": p.community_name}}[key]
    near = index.nearest_point(lon, lat)
    if near is not None:
        p = index.places[near]
        out["nearest"] = {"address": p.full_address, "address_code": p.code, "kind": p.kind, "lon": p.lon,
                          "lat": p.lat, "distance_m": round(metres_between(lon, lat, p.lon, p.lat), 1),
                          "district_code": p.district_code, "street_code": p.street_code,
                          "community_code": p.community_code, "community_name": p.community_name}
        if out["nearest"]["distance_m"] < 2000:  # outside every boundary the layer holds: the nearest address's
            if out["district"] is None:
                out["district"] = {"code": p.district_code, "name": p.district_name}
            if out["street"] is None and p.street_code:
                out["street"] = {"code": p.street_code, "name": p.street_name}
            if out["community"] is None and p.community_name:
                out["community"] = {"code": p.community_code, "name": p.community_name}
    return out
