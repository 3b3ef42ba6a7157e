"""Issue 9, SETU: the customer's KvK number reaches the canonical message, and XML is decoded
as the XML specification says (byte order mark, then the declaration)."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from typing import Any

import pytest

from adapters.setu import SetuFileError, detect_syntax, read_document, to_outcome
from adapters.setu.encoding import detect_xml_encoding
from tests.standards import setu_dir
from tests.uploads.test_setu_examples import FOR_ASSIGNMENTS


def example() -> str:
    path = setu_dir() / "setu" / "examples" / "Assignment" / "AssignmentExample_v1.4.xml"
    return path.read_text("utf-8")


def placement(payload: bytes) -> dict[str, Any]:
    outcome = to_outcome(read_document(io.BytesIO(payload)), FOR_ASSIGNMENTS, "12345678")
    assert outcome.issues == [], outcome.issues
    [draft] = outcome.drafts
    return draft.data.model_dump(mode="json", exclude_none=True)


def test_a_customer_identified_by_kvk_is_published_with_its_kvk_number() -> None:
    text = example().replace(
        '<StaffingCustomerId idOwner="StaffingCompany">\n\t\t\t<IdValue>223445</IdValue>',
        '<StaffingCustomerId idOwner="KvK">\n\t\t\t<IdValue>23456789</IdValue>',
    )
    assert 'idOwner="KvK"' in text
    assert placement(text.encode("utf-8"))["client"] == {"name": "23456789", "kvk": "23456789"}


def _declared(text: str, name: str) -> str:
    return text.replace('encoding="UTF-8"', f'encoding="{name}"', 1)


ENCODINGS: list[tuple[str, Callable[[str], bytes], str]] = [
    ("utf-8 without a mark", lambda t: t.encode("utf-8"), "utf-8"),
    ("utf-8 with a mark", lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8"),
    (
        "utf-16 le with a mark",
        lambda t: codecs.BOM_UTF16_LE + _declared(t, "UTF-16").encode("utf-16-le"),
        "utf-16-le",
    ),
    (
        "utf-16 be with a mark",
        lambda t: codecs.BOM_UTF16_BE + _declared(t, "UTF-16").encode("utf-16-be"),
        "utf-16-be",
    ),
    (
        "utf-16 le without a mark",
        lambda t: _declared(t, "UTF-16LE").encode("utf-16-le"),
        "utf-16-le",
    ),
    (
        "utf-16 be without a mark",
        lambda t: _declared(t, "UTF-16BE").encode("utf-16-be"),
        "utf-16-be",
    ),
    (
        "utf-32 le with a mark",
        lambda t: codecs.BOM_UTF32_LE + _declared(t, "UTF-32").encode("utf-32-le"),
        "utf-32-le",
    ),
    (
        "utf-32 be with a mark",
        lambda t: codecs.BOM_UTF32_BE + _declared(t, "UTF-32").encode("utf-32-be"),
        "utf-32-be",
    ),
    ("utf-32 le without a mark", lambda t: _declared(t, "UTF-32").encode("utf-32-le"), "utf-32-le"),
    ("utf-32 be without a mark", lambda t: _declared(t, "UTF-32").encode("utf-32-be"), "utf-32-be"),
    (
        "windows-1252 by its declaration",
        lambda t: _declared(t, "windows-1252").encode("cp1252"),
        "cp1252",
    ),
]


@pytest.mark.parametrize(("case", "encode", "codec"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_xml_in_every_encoding_the_specification_names_reads_the_same(
    case: str, encode: Callable[[str], bytes], codec: str
) -> None:
    # A non-ASCII job title shows that the characters, not only the markup, were decoded.
    text = example().replace(
        "<nl:JobTitle>Lasser</nl:JobTitle>", "<nl:JobTitle>Lasser café</nl:JobTitle>"
    )
    payload = encode(text)
    assert detect_xml_encoding(payload[:512])[0] == codec
    assert detect_syntax(payload[:256]) == "xml"
    assert placement(payload) == placement(text.encode("utf-8"))
    assert placement(payload)["job_title"] == "Lasser café"


def test_a_declaration_that_does_not_fit_the_bytes_is_refused_with_the_reason() -> None:
    payload = _declared(example(), "UTF-16").encode("utf-8")
    with pytest.raises(SetuFileError) as info:
        read_document(io.BytesIO(payload))
    [issue] = info.value.issues
    assert issue.code == "invalid_encoding" and "UTF-16" in issue.message


def test_every_xml_issue_names_the_line_of_its_element() -> None:
    text = example().replace("<IdValue>179943169</IdValue>", "<IdValue>unknown</IdValue>")
    text = text.replace("<Hours>32</Hours>", "<Hours>many</Hours>")
    doc = read_document(io.BytesIO(text.encode("utf-8")))
    outcome = to_outcome(doc, FOR_ASSIGNMENTS, "12345678")
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(n for n, line in enumerate(lines, start=1) if fragment in line)

    found = {issue.code: issue.line for issue in outcome.issues}
    assert found["invalid_number"] == line_of("<Hours>many</Hours>")
    # Two HumanResourceId elements: the issue names them all, so the line is their parent's.
    assert found["unknown_worker"] == line_of("<ReferenceInformation")
