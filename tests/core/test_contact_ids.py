"""One mobile-number pattern and one e-mail check for the whole platform (core.ids.mobile, core.ids.email_address)."""

from __future__ import annotations

import pytest

from zhicheng.core.ids import email_address, mobile


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("86-139-1234-5678", "13912345678"),
        ("+8619912345678", "19912345678"),
        ("12912345678", None),  # 12x is no mobile range
        ("1391234567", None),
        ("139123456789", None),
        ("0731-88881234", None),  # a landline
        ("１３９１２３４５６７８", None),  # full-width digits are not accepted as typed
        (None, None),
    ],
)
def test_a_mobile_number_is_read_one_way(written, number):
    assert mobile.normalise(written) == number
    assert mobile.is_valid(written) is (number is not None)


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        ("zhang.san@hunan.gov.cn", True),
        ("李明@例子.中国", True),  # internationalised: the old pattern refused it
        ("a..b@hunan.gov.cn", False),  # two dots in a row: the old pattern let it through
        (".zhang@hunan.gov.cn", False),
        ("zhang@hunan", False),
        ("zhang@localhost", False),
        ("<zhang@hunan.gov.cn>", False),
        ("not-an-email", False),
    ],
)
def test_an_email_address_is_checked_by_email_validator(written, valid):
    assert email_address.is_valid(written) is valid


def test_the_email_domain_is_normalised():
    assert email_address.normalise("Zhang@HUNAN.Gov.CN") == "Zhang@hunan.gov.cn"
