from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemas.common import Period, PersonRef
from schemas.identifiers import Amount, Bsn, Iban, Loonheffingennummer, mask_bsn
from tests.samples import WEIGHTS

BSN = TypeAdapter(Bsn)
IBAN = TypeAdapter(Iban)
LHN = TypeAdapter(Loonheffingennummer)
AMOUNT = TypeAdapter(Amount)


def eleven_test(digits: str) -> bool:
    total = sum(w * int(d) for w, d in zip(WEIGHTS, digits[:8], strict=True)) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


@pytest.mark.parametrize("bsn", ["111222333", "123456782", " 111222333 "])
def test_valid_bsns(bsn: str) -> None:
    assert BSN.validate_python(bsn) == bsn.strip()


def test_eight_digit_bsn_is_left_padded() -> None:
    # 012345672 passes the eleven test; written without its leading zero it is 8 digits.
    assert BSN.validate_python("12345672") == "012345672"


@pytest.mark.parametrize("bsn", ["111222334", "000000000", "12345678901", "abcdefghi", ""])
def test_invalid_bsns(bsn: str) -> None:
    with pytest.raises(ValidationError):
        BSN.validate_python(bsn)
    # Inside canonical models the error text never carries the value (it may be a BSN).
    with pytest.raises(ValidationError) as info:
        PersonRef.model_validate({"bsn": bsn, "municipality": "0363"})
    assert not bsn.strip() or bsn not in str(info.value)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_bsn_validation_is_the_eleven_test(digits: str) -> None:
    try:
        BSN.validate_python(digits)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == eleven_test(digits)


def test_iban() -> None:
    assert IBAN.validate_python("NL91 ABNA 0417 1643 00") == "NL91ABNA0417164300"
    with pytest.raises(ValidationError, match="invalid_iban|not a valid IBAN"):
        IBAN.validate_python("NL92ABNA0417164300")


def test_loonheffingennummer() -> None:
    assert LHN.validate_python("123456782L01") == "123456782L01"
    for bad in ("123456782B01", "123456783L01", "123456782L1"):
        with pytest.raises(ValidationError):
            LHN.validate_python(bad)


def test_amounts_are_decimals_with_two_places_never_floats() -> None:
    assert AMOUNT.validate_python("1234.56") == Decimal("1234.56")
    assert AMOUNT.dump_json(Decimal("12.30")) == b'"12.30"'
    with pytest.raises(ValidationError):
        AMOUNT.validate_python("1.234")


def test_period_sanity() -> None:
    assert Period.model_validate({"start": "2026-01-01", "end": "2026-01-01"})
    with pytest.raises(ValidationError, match="period_end_before_start|before its start"):
        Period.model_validate({"start": "2026-01-02", "end": "2026-01-01"})
    with pytest.raises(ValidationError, match="longer than a year"):
        Period.model_validate({"start": "2025-01-01", "end": "2026-06-01"})


def test_mask_bsn_keeps_only_last_three_digits() -> None:
    assert mask_bsn("111222333") == "******333"
