"""Grid codes: 14 digits (county 6, street 3, community 3, sequence 2), communities' parts unique per street."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhicheng.core.errors import Invalid
from zhicheng.geo.grids import codes

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@given(county=st.sampled_from(["430102", "430104", "430181", "110101"]), street=st.integers(1, 999),
       community=st.integers(0, 999), seq=st.integers(1, 99))
def test_a_code_made_parses_back_to_its_parts(county, street, community, seq):
    code = codes.make(county, f"{street:03d}", f"{community:03d}", seq)
    assert len(code) == 14 and code.isdigit()
    parsed = codes.parse(code)
    assert (parsed.county, parsed.street, parsed.community, parsed.sequence) == (
        county, f"{street:03d}", f"{community:03d}", seq)
    assert str(parsed) == code and parsed.prefix == code[:12]


@pytest.mark.parametrize("bad", ["", "4301020010010", "430102001001001", "43010200100100", "4301020010010A",
                                 "00010200100101", "43000000100101", None, " 4301 02001001 01"])
def test_bad_codes_are_refused_naming_the_field(bad):
    with pytest.raises(Invalid) as exc:
        codes.parse(bad, field="grid_code")
    assert exc.value.field == "grid_code"


def test_a_community_holds_at_most_99_sequences():
    with pytest.raises(Invalid):
        codes.make("430102", "001", "001", 100)
    with pytest.raises(Invalid):
        codes.make("430102", "001", "001", 0)


@given(st.lists(st.tuples(st.sampled_from(["430102001", "430102002", "430103004"]),
                          st.integers(1, 30).map(lambda n: f"4301020{n:02d}{n % 7:03d}")),
                unique_by=lambda t: t[1], max_size=40))
def test_community_parts_are_unique_within_a_street(pairs):
    parts = codes.community_parts(pairs)
    assert set(parts) == {c for _, c in pairs}
    by_street: dict[str, list[str]] = {}
    for street, community in pairs:
        by_street.setdefault(street, []).append(parts[community])
    for values in by_street.values():
        assert len(values) == len(set(values))
        assert all(len(v) == 3 and v.isdigit() and v != "000" for v in values)


def test_a_community_keeps_its_own_three_digits_and_a_clash_goes_to_601():
    parts = codes.community_parts([("430102001", "430102001001"), ("430102001", "430102003001"),
                                   ("430102001", "430102001002")])
    assert parts["430102001001"] == "001" and parts["430102001002"] == "002"
    assert parts["430102003001"] == "601"
