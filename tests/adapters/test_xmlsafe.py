"""XML is hostile until parsed safely (adapters/xmlsafe.py): every hostile document is refused
with code ``invalid_xml`` by each format that reads XML - a StUF message, a StUF batch file,
a SETU document - without expanding anything and within a second."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest

from adapters.base import Issue, TranslationError
from adapters.setu import SetuFileError, read_document
from adapters.stuf import StufAdapter
from adapters.stuf.batch import read_batch
from adapters.xmlsafe import INVALID_XML, PROLOG, XmlLimits, iterparse, parse

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

EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://127.0.0.1:9/evil.dtd"><a/>'
#: The DOCTYPE after a prolog longer than the part looked at before parsing: the parser's
#: document info catches it.
LATE_DOCTYPE = b"<?xml version='1.0'?><!--" + b"x" * PROLOG + b"--><!DOCTYPE a []><a/>"
UTF16_DOCTYPE = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a []><a/>'.encode("utf-16")

LIMITS = XmlLimits(max_bytes=4096, max_depth=32, max_elements=100)


#: The outermost element of the documents below, so that a batch gets past its root check.
OPEN = b'<StUF:StUF-berichtenSet xmlns:StUF="http://www.egem.nl/StUF/StUF0301">'
CLOSE = b"</StUF:StUF-berichtenSet>"


def nested(depth: int) -> bytes:
    return OPEN + b"<a>" * (depth - 1) + b"</a>" * (depth - 1) + CLOSE


def refused_by_stuf(document: bytes, limits: XmlLimits) -> Issue:
    with pytest.raises(TranslationError) as caught:
        StufAdapter(limits=limits).open(document)
    assert caught.value.code == INVALID_XML
    return caught.value.issues[0]


def refused_by_stuf_batch(document: bytes, limits: XmlLimits) -> Issue:
    items = list(read_batch(io.BytesIO(document), limits))
    fatal = items[-1].fatal
    assert fatal is not None and all(item.element is None for item in items)
    return fatal.issues[0]


def refused_by_setu(document: bytes, limits: XmlLimits) -> Issue:
    with pytest.raises(SetuFileError) as caught:
        read_document(io.BytesIO(document), limits=limits)
    return caught.value.issues[0]


Format = Callable[[bytes, XmlLimits], Issue]
TREES: dict[str, Format] = {"stuf": refused_by_stuf, "setu": refused_by_setu}
FORMATS: dict[str, Format] = {**TREES, "stuf-batch": refused_by_stuf_batch}

HOSTILE = {
    "external-entity": (XXE, "DOCTYPE"),
    "billion-laughs": (LAUGHS, "DOCTYPE"),
    "external-dtd": (EXTERNAL_DTD, "DOCTYPE"),
    "doctype-after-long-prolog": (LATE_DOCTYPE, "DOCTYPE"),
    "doctype-utf16": (UTF16_DOCTYPE, "DOCTYPE"),
    "depth": (nested(LIMITS.max_depth + 1), f"deeper than {LIMITS.max_depth} levels"),
    "depth-bomb": (nested(100_000), f"deeper than {LIMITS.max_depth} levels"),
    "malformed": (OPEN + b"<a><b></a>" + CLOSE, "not well-formed XML: line 1"),
    "empty": (b"", ""),
}


#: SETU reads UTF-8 only, and tells XML from JSON by the first character: a UTF-16 or empty
#: document is ``unknown_format`` before any XML parser sees it.
NOT_XML_TO_SETU = {("doctype-utf16", "setu"), ("empty", "setu")}
CASES = [(c, f) for c in HOSTILE for f in FORMATS if (c, f) not in NOT_XML_TO_SETU]


@pytest.mark.parametrize(("case", "name"), CASES)
def test_hostile_xml_is_refused_quickly_by_every_format(case: str, name: str) -> None:
    document, says = HOSTILE[case]
    started = time.perf_counter()
    issue = FORMATS[name](document, XmlLimits(max_bytes=10**7, max_depth=LIMITS.max_depth))
    assert time.perf_counter() - started < 1.0
    assert issue.code == INVALID_XML
    assert says in issue.message
    assert "root:" not in issue.message  # nothing of /etc/passwd, nothing expanded


@pytest.mark.parametrize("name", list(TREES))
def test_a_document_over_the_size_limit_is_refused(name: str) -> None:
    issue = TREES[name](b"<a>" + b"x" * LIMITS.max_bytes + b"</a>", LIMITS)
    assert issue.code == INVALID_XML
    assert f"larger than {LIMITS.max_bytes} bytes" in issue.message


@pytest.mark.parametrize("name", list(TREES))
def test_a_document_with_too_many_elements_is_refused(name: str) -> None:
    issue = TREES[name](b"<a>" + b"<b/>" * LIMITS.max_elements + b"</a>", LIMITS)
    assert f"more than {LIMITS.max_elements} elements" in issue.message


def test_a_stream_is_not_read_past_the_size_limit() -> None:
    source = io.BytesIO(b"<a>" + b"x" * (10 * PROLOG) + b"</a>")
    with pytest.raises(SetuFileError) as caught:
        read_document(source, limits=XmlLimits(max_bytes=PROLOG + 1))
    assert "larger than" in caught.value.issues[0].message
    assert source.tell() < 3 * PROLOG


def test_documents_within_the_limits_parse() -> None:
    exactly = XmlLimits(max_bytes=len(nested(32)), max_depth=32, max_elements=32)
    assert len(list(parse(nested(32), exactly).iter())) == 32
    assert parse(b"<a><!-- kept --></a>", LIMITS)[0].text == " kept "
    assert len(parse(b"<a><!-- left out --></a>", LIMITS, comments=False)) == 0


def test_a_batch_streams_whatever_its_size_and_element_count() -> None:
    document = b"<a>" + b"<b/>" * (LIMITS.max_elements * 50) + b"</a>"
    assert len(document) > LIMITS.max_bytes
    ends = sum(event == "end" for event, _ in iterparse(io.BytesIO(document), LIMITS))
    assert ends == LIMITS.max_elements * 50 + 1
