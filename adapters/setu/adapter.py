"""The SETU adapter: detect the syntax and version, parse safely, validate, and map.

The upload pipeline calls :func:`read_document`, resolves the person through the store, then
:func:`to_outcome`. ``translate`` (the plain :class:`~adapters.base.Adapter` API) maps with a
directory that knows nobody, so it only succeeds for documents that need no lookup.
"""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from typing import Any, BinaryIO, Literal

import orjson
from lxml import etree

from adapters.base import AdapterConfig, Draft, Issue, TranslationError
from adapters.setu import v1, v2
from adapters.setu.encoding import XmlEncodingError, detect_xml_encoding, to_utf8
from adapters.setu.mapping import (
    Directory,
    NoDirectory,
    SetuOutcome,
    assignment_drafts,
    timecard_drafts,
)
from adapters.setu.model import AssignmentDoc, TimecardDoc
from adapters.setu.xsd import OfficialSchemas
from adapters.xmlsafe import UnsafeXml, XmlLimits, parse_stream

__all__ = [
    "LIMITS",
    "Document",
    "SetuAdapter",
    "SetuFileError",
    "detect_syntax",
    "read_document",
    "to_outcome",
]

Document = TimecardDoc | AssignmentDoc
#: v2.0 JSON has no root element name; these members tell the message apart.
_TIMECARD_KEYS = frozenset({"timeInterval", "allowance"})
_ASSIGNMENT_KEYS = frozenset({"assignedWorker", "positionProfile"})
#: One SETU document is one tree. The upload channel bounds the file first
#: (``FLEXGW_SETU_MAX_BYTES``, 50 MiB by default); ``max_bytes`` here is the backstop for
#: :meth:`SetuAdapter.translate`, which gets bytes from anywhere.
LIMITS = XmlLimits(max_bytes=1024**3, max_depth=40, max_elements=2_000_000)


class SetuFileError(Exception):
    """The document cannot be read at all (not XML/JSON, unsafe, not a SETU message)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def detect_syntax(head: bytes) -> Literal["xml", "json"] | None:
    try:
        codec, skip = detect_xml_encoding(head)
    except XmlEncodingError:
        return "xml"  # a declaration was found: XML, refused with the reason when read
    if codec.startswith(("utf-16", "utf-32")):
        return "xml"
    text = head[skip:].lstrip()
    if text.startswith(b"<"):
        return "xml"
    if text.startswith(b"{"):
        return "json"
    return None


def read_document(
    stream: BinaryIO, *, schemas: OfficialSchemas | None = None, limits: XmlLimits = LIMITS
) -> Document:
    head = stream.read(256)
    stream.seek(0)
    syntax = detect_syntax(head)
    if syntax == "xml":
        return _read_xml(stream, schemas, limits)
    if syntax == "json":
        return _read_json(stream)
    raise SetuFileError([Issue("/", "unknown_format", "neither XML nor JSON")])


def _read_xml(stream: BinaryIO, schemas: OfficialSchemas | None, limits: XmlLimits) -> Document:
    head = stream.read(512)
    stream.seek(0)
    try:
        codec, skip = detect_xml_encoding(head)
        if codec != "utf-8" or skip:
            # Decoded here, by the XML specification's rules; the parser gets UTF-8.
            stream = io.BytesIO(to_utf8(stream.read(limits.max_bytes + 1)))
        root = parse_stream(stream, limits, comments=False)
    except XmlEncodingError as exc:
        raise SetuFileError([Issue("/", "invalid_encoding", str(exc))]) from None
    except UnsafeXml as exc:
        raise SetuFileError([exc.issue]) from None
    schema_issues = schemas.validate(root) if schemas is not None else []
    name = root.tag if isinstance(root.tag, str) else ""
    doc: Document
    if name == f"{{{v1.HRXML_NS}}}TimeCard":
        doc = v1.read_timecard(root)
    elif name == f"{{{v1.HRXML_NS}}}Assignment":
        doc = v1.read_assignment(root)
    elif name == f"{{{v2.SETU_V2_NS}}}Timecard":
        doc = v2.read_timecard(v2.from_xml(root), "xml")
    elif name == f"{{{v2.SETU_V2_NS}}}Assignment":
        doc = v2.read_assignment(v2.from_xml(root), "xml")
    else:
        raise SetuFileError(
            [
                Issue(
                    "/",
                    "unknown_document",
                    f"root element {name or root.tag!r} is not a SETU Timecard or Assignment "
                    "(v1.x HR-XML or v2.0)",
                )
            ]
        )
    doc.issues[:0] = schema_issues
    doc.root = root
    return doc


def _lines(root: etree._Element) -> dict[str, int]:
    """XPath (as :func:`v1.xpath_of` writes it) -> line, for every element, in one pass."""
    lines: dict[str, int] = {}
    stack = [(root, "/" + etree.QName(root).localname)]
    while stack:
        element, path = stack.pop()
        if isinstance(element.sourceline, int):
            lines[path] = element.sourceline
        children = [c for c in element if isinstance(c.tag, str)]
        counts = Counter(c.tag for c in children)
        seen: Counter[Any] = Counter()
        for child in children:
            name = etree.QName(child).localname
            if counts[child.tag] > 1:
                seen[child.tag] += 1
                name += f"[{seen[child.tag]}]"
            stack.append((child, f"{path}/{name}"))
    return lines


def _with_line(issue: Issue, lines: dict[str, int]) -> Issue:
    """The issue with the file line of the element its XPath names (or of the nearest element
    above, for an attribute or a missing child)."""
    if issue.line is not None:
        return issue
    path = issue.where.split("/@", 1)[0]
    while path.startswith("/"):
        found = lines.get(path)
        if found is not None:
            return dataclasses.replace(issue, line=found)
        path = path.rsplit("/", 1)[0]
    return issue


def _read_json(stream: BinaryIO) -> Document:
    try:
        data = orjson.loads(stream.read())
    except orjson.JSONDecodeError as exc:
        raise SetuFileError([Issue("#", "invalid_json", f"not valid JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise SetuFileError([Issue("#", "unknown_document", "a SETU message is a JSON object")])
    keys = set(data)
    if keys & _TIMECARD_KEYS or ({"person", "period"} <= keys and not keys & _ASSIGNMENT_KEYS):
        return v2.read_timecard(v2.from_json(data), "json")
    if keys & _ASSIGNMENT_KEYS:
        return v2.read_assignment(v2.from_json(data), "json")
    raise SetuFileError(
        [Issue("#", "unknown_document", "not a SETU v2.0 Timecard or Assignment (JSON)")]
    )


def to_outcome(doc: Document, directory: Directory, agency_kvk: str) -> SetuOutcome:
    if isinstance(doc, TimecardDoc):
        outcome = timecard_drafts(doc, directory, agency_kvk)
    else:
        outcome = assignment_drafts(doc, directory, agency_kvk)
    if outcome.issues and doc.root is not None:
        lines = _lines(doc.root)
        outcome.issues = [_with_line(issue, lines) for issue in outcome.issues]
    return outcome


class SetuAdapter:
    name = "setu"

    def __init__(self, schemas: OfficialSchemas | None = None) -> None:
        #: The official schemas XML is also validated against, when the deployment has them.
        self.schemas = schemas

    def configured(self, config: AdapterConfig) -> SetuAdapter:
        directory = config.setu_schema_dir
        return SetuAdapter(OfficialSchemas(directory) if directory is not None else None)

    def translate(self, payload: bytes, *, sender: str) -> list[Draft]:
        """``sender`` is the agency's KvK number here (the gateway passes the client's)."""
        try:
            doc = read_document(io.BytesIO(payload), schemas=self.schemas)
        except SetuFileError as exc:
            raise TranslationError(exc.issues) from None
        outcome = to_outcome(doc, NoDirectory(), sender)
        if outcome.issues:
            raise TranslationError(outcome.issues)
        return outcome.drafts
