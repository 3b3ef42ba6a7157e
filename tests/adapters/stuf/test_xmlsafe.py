"""XML is hostile until parsed safely: DOCTYPE (XXE, billion laughs), depth and size limits."""

from __future__ import annotations

import time

import pytest

from adapters.base import TranslationError
from adapters.stuf.values import StufValueError, parse_stuf_date, parse_tijdstip
from adapters.stuf.xmlsafe import XmlLimits, parse

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<foo>&xxe;</foo>"""

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]><lolz>&lol9;</lolz>"
)


@pytest.mark.parametrize("document", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_doctype_is_refused_without_expanding(document: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(TranslationError) as caught:
        parse(document, XmlLimits())
    assert caught.value.issues[0].code == "doctype-forbidden"
    assert time.perf_counter() - started < 1.0
    assert "root:" not in str(caught.value.issues)


def test_depth_limit() -> None:
    deep = b"<a>" * 40 + b"</a>" * 40
    with pytest.raises(TranslationError) as caught:
        parse(deep, XmlLimits(max_depth=32))
    assert caught.value.issues[0].code == "too-deep"
    parse(b"<a>" * 30 + b"</a>" * 30, XmlLimits(max_depth=32))


def test_size_limit_and_malformed() -> None:
    with pytest.raises(TranslationError) as caught:
        parse(b"<a>" + b"x" * 2000 + b"</a>", XmlLimits(max_bytes=1000))
    assert caught.value.issues[0].code == "too-large"
    with pytest.raises(TranslationError) as caught:
        parse(b"<a><b></a>", XmlLimits())
    assert caught.value.issues[0].code == "malformed-xml"
    assert "line 1" in caught.value.issues[0].message


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
