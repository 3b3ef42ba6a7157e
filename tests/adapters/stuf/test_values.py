"""StUF dates and moments: exactly the notations StUF allows."""

from __future__ import annotations

import pytest

from adapters.stuf.values import StufValueError, parse_stuf_date, parse_tijdstip


def test_stuf_dates_and_moments() -> None:
    assert str(parse_stuf_date("19900417")) == "19900417"
    assert not parse_stuf_date("19900400").complete
    assert parse_stuf_date("19900417", "M").month == 0
    for bad in ("1990041", "19901301", "19900230", "1990-04-17"):
        with pytest.raises(StufValueError):
            parse_stuf_date(bad)
    assert parse_tijdstip("20261201120000123").microsecond == 123000
    for bad in ("202612011", "20261301120000", "2026120112000x"):
        with pytest.raises(StufValueError):
            parse_tijdstip(bad)
