"""Issue 9, SETU: every party identifier with its owner (the customer's KvK number among them)
reaches the canonical message, and XML is decoded as the XML specification says (byte order
mark, then the declaration)."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from adapters.setu import SetuFileError, detect_syntax, read_document, to_outcome
from adapters.setu.encoding import detect_xml_encoding
from tests.standards import setu_dir
from tests.uploads.test_setu_examples import FOR_ASSIGNMENTS, Known


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


HR = "{http://ns.hr-xml.org/2007-04-15}"
PARTY_ELEMENTS = {
    "StaffingCustomerId": "customer",
    "StaffingCustomerOrgUnitId": "customer_unit",
    "StaffingSupplierId": "supplier",
    "StaffingSupplierOrgUnitId": "supplier_unit",
    "HumanResourceId": "worker",
}


def _parties(data: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(p["role"], i["value"], i["owner"]) for p in data["parties"] for i in p["ids"]}


def test_every_party_identifier_of_a_v1_assignment_is_published_with_its_owner() -> None:
    text = example()
    root = etree.fromstring(text.encode("utf-8"))
    # What the document says, read here with plain lxml, independent of the adapter's reader.
    sent = {
        (PARTY_ELEMENTS[etree.QName(e).localname], e.findtext(HR + "IdValue"), e.get("idOwner"))
        for e in root.iter()
        if isinstance(e.tag, str) and etree.QName(e).localname in PARTY_ELEMENTS
    }
    assert {role for role, _, _ in sent} == set(PARTY_ELEMENTS.values())
    data = placement(text.encode("utf-8"))
    assert _parties(data) == sent
    assignment_id = root.find(HR + "AssignmentId")
    assert assignment_id is not None
    assert data["assignment_id_owner"] == assignment_id.get("idOwner")


def test_every_party_identifier_of_a_v2_assignment_is_published_with_its_owner() -> None:
    path = setu_dir() / "setu" / "examples" / "Assignment" / "AssignmentExample_v2.0.json"
    doc = json.loads(path.read_text("utf-8"))
    sent = set()
    for name in ("customer", "supplier"):
        found = doc[name].get("establishment") or []
        units = found if isinstance(found, list) else [found]
        for node, role in [(doc[name], name)] + [(e, f"{name}_unit") for e in units]:
            for ident in node.get("id", []):
                sent.add((role, ident["value"], ident["schemeAgencyId"]))
            for key in ("legalId", "taxId"):
                if key in node:
                    sent.add((role, node[key]["value"], node[key]["schemeAgencyId"]))
    for ident in doc["assignedWorker"]["workerId"]:
        sent.add(("worker", ident["value"], ident["schemeAgencyId"]))
    assert ("customer", doc["customer"]["legalId"]["value"], "KvK") in sent
    data = placement(path.read_bytes())
    assert _parties(data) == sent
    assert data["assignment_id_owner"] == doc["documentId"]["schemeAgencyId"]


def test_a_worker_number_owned_by_bsn_is_not_listed_as_a_party_identifier() -> None:
    text = example().replace(
        '<HumanResourceId idOwner="StaffingCustomer">', '<HumanResourceId idOwner="BSN">'
    )
    assert 'idOwner="BSN"' in text
    data = placement(text.encode("utf-8"))
    [worker] = [p for p in data["parties"] if p["role"] == "worker"]
    assert [i["owner"] for i in worker["ids"]] == ["StaffingCompany"]


def test_a_changed_party_identifier_is_published_as_placement_changed_v2() -> None:
    first = to_outcome(
        read_document(io.BytesIO(example().encode("utf-8"))), FOR_ASSIGNMENTS, "12345678"
    )
    assert first.placement is not None
    moved = example().replace("<IdValue>9876</IdValue>", "<IdValue>9877</IdValue>")
    assert moved != example()
    known = Known({"1234/1234561": first.placement}, FOR_ASSIGNMENTS.workers)
    outcome = to_outcome(read_document(io.BytesIO(moved.encode("utf-8"))), known, "12345678")
    assert outcome.issues == []
    [draft] = outcome.drafts
    assert (draft.event.short_type, draft.event.version) == ("placement.changed", 2)
    data = draft.data.model_dump(mode="json", exclude_none=True)
    assert ("customer_unit", "9877", "StaffingCustomer") in _parties(data)
    # The same assignment again changes nothing: the parties are part of the known state.
    again = to_outcome(
        read_document(io.BytesIO(moved.encode("utf-8"))),
        Known({"1234/1234561": outcome.placement or {}}, FOR_ASSIGNMENTS.workers),
        "12345678",
    )
    assert again.drafts == [] and again.note


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
