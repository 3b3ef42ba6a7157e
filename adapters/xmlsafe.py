"""XML is hostile until parsed safely: the one XML parser of every adapter (StUF, SETU).

lxml resolves no entities, loads no DTD, touches no network and keeps ``huge_tree`` off; a
document with a DOCTYPE is refused (that covers XXE and billion-laughs documents before
anything could be expanded, whether the DOCTYPE is seen in the first bytes or by the parser);
nesting depth is bounded everywhere, size and element count wherever a whole tree is built.

Every refusal is an :class:`UnsafeXml` (a :class:`~adapters.base.TranslationError`) with one
issue of code ``invalid_xml``: the sender's fix is the same whichever rule was broken (repair
the software that writes the XML), and the message says which rule it was and where.

* :func:`parse` - a document in memory (a SOAP request, a stored StUF object);
* :func:`parse_stream` - a document read from a file (a SETU upload), not read much past
  ``max_bytes``;
* :func:`iterparse` - ``(event, element)`` pairs of a file of any size (a StUF batch); the
  caller frees finished elements, so only the depth is bounded here and the channel bounds
  the size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from adapters.base import Issue, TranslationError

__all__ = [
    "INVALID_XML",
    "PROLOG",
    "UnsafeXml",
    "XmlLimits",
    "iterparse",
    "parse",
    "parse_stream",
    "parser",
]

#: The code of every refusal (the one uploads have documented since SETU support).
INVALID_XML = "invalid_xml"

#: A DOCTYPE comes before the root element; looking at the start of the document finds it
#: before the parser reads a single entity declaration (UTF-8 and UTF-16 spellings).
PROLOG = 64 * 1024
_DOCTYPE_MARKERS = (
    b"<!DOCTYPE",
    "<!DOCTYPE".encode("utf-16-le"),
    "<!DOCTYPE".encode("utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Bounds on one document. Each format sets its own: StUF from ``FLEXGW_MAX_BODY_BYTES``
    and ``FLEXGW_STUF_MAX_DEPTH`` (``StufAdapter.configured``), SETU in ``adapters.setu.LIMITS``."""

    #: Largest document built as one tree (parse, parse_stream).
    max_bytes: int = 20 * 1024 * 1024
    #: Deepest element nesting; a StUF message in a SOAP envelope needs about 8.
    max_depth: int = 32
    #: Most elements in a document built as one tree (parse, parse_stream).
    max_elements: int = 2_000_000


class UnsafeXml(TranslationError):
    """Not well-formed XML, or XML breaking one of this module's rules."""

    #: Where in the document, when known.
    line: int | None = None

    @classmethod
    def because(cls, message: str, line: int | None = None) -> UnsafeXml:
        where = f"line {line}" if line else "/"
        error = cls([Issue(where=where, code=INVALID_XML, message=message)], code=INVALID_XML)
        error.line = line
        return error

    @property
    def issue(self) -> Issue:
        return self.issues[0]


def parser() -> etree.XMLParser:
    """A parser with the safety settings, for trusted files too (the shipped XSDs)."""
    return etree.XMLParser(**_SAFE)


def parse(data: bytes, limits: XmlLimits, *, comments: bool = True) -> etree._Element:
    """The root element of ``data``, or :class:`UnsafeXml`."""
    if len(data) > limits.max_bytes:
        raise _too_large(limits.max_bytes)
    return parse_stream(io.BytesIO(data), limits, comments=comments)


def parse_stream(source: IO[bytes], limits: XmlLimits, *, comments: bool = True) -> etree._Element:
    """The root element of the document ``source`` holds, or :class:`UnsafeXml`; stops reading
    at the first chunk past ``max_bytes``. ``comments=False`` leaves comments out of the tree."""
    root: etree._Element | None = None
    count = 0
    for event, element in _events(_Bounded(source, limits.max_bytes), limits, comments=comments):
        if event != "start":
            continue
        if root is None:
            root = element
        count += 1
        if count > limits.max_elements:
            raise UnsafeXml.because(
                f"the document has more than {limits.max_elements} elements", _line(element)
            )
    if root is None:
        raise UnsafeXml.because("the document is empty")
    return root


def iterparse(source: IO[bytes], limits: XmlLimits) -> Iterator[tuple[str, etree._Element]]:
    """``("start" | "end", element)`` for every element of ``source``, in document order, or
    :class:`UnsafeXml` where the document breaks a rule. Elements are kept in the tree until
    the caller frees them."""
    return _events(_Bounded(source, None), limits, comments=True)


# --- inside ---------------------------------------------------------------------------------

_SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "collect_ids": False,
    "remove_pis": True,
}


def _events(
    source: _Bounded, limits: XmlLimits, *, comments: bool
) -> Iterator[tuple[str, etree._Element]]:
    if any(marker in source.head for marker in _DOCTYPE_MARKERS):
        raise _doctype()
    events = etree.iterparse(source, events=("start", "end"), remove_comments=not comments, **_SAFE)
    depth = 0
    try:
        for event, element in events:
            if event == "end":
                depth -= 1
            else:
                if depth == 0:
                    _check_no_doctype(element.getroottree())
                depth += 1
                if depth > limits.max_depth:
                    raise UnsafeXml.because(
                        f"elements are nested deeper than {limits.max_depth} levels",
                        _line(element),
                    )
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml.because(f"not well-formed XML: {_syntax(exc)}", exc.lineno) from None


class _Bounded:
    """The source as lxml reads it: the prolog read ahead (for the DOCTYPE check), and an
    :class:`UnsafeXml` instead of the byte after ``max_bytes``."""

    def __init__(self, source: IO[bytes], max_bytes: int | None) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self.head = source.read(PROLOG)
        self._pending = self.head
        self._read = len(self.head)
        self._check()

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        chunk = self._source.read(size)
        self._read += len(chunk)
        self._check()
        return chunk

    def _check(self) -> None:
        if self._max_bytes is not None and self._read > self._max_bytes:
            raise _too_large(self._max_bytes)


def _check_no_doctype(tree: etree._ElementTree) -> None:
    info = tree.docinfo
    if getattr(info, "doctype", "") or info.internalDTD is not None or info.externalDTD is not None:
        raise _doctype()


def _doctype() -> UnsafeXml:
    return UnsafeXml.because(
        "a DOCTYPE (DTD, entity declarations) is not allowed; send the document without it", 1
    )


def _too_large(max_bytes: int) -> UnsafeXml:
    return UnsafeXml.because(f"the document is larger than {max_bytes} bytes")


def _syntax(exc: etree.XMLSyntaxError) -> str:
    message = str(exc.msg or exc).strip()
    return f"line {exc.lineno}, column {exc.offset}: {message}" if exc.lineno else message


def _line(element: etree._Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None
