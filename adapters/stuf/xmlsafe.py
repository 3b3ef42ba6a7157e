"""XML is hostile until parsed safely.

Every XML the StUF adapter reads goes through here: lxml parsers that resolve no entities,
load no DTD and touch no network, without ``huge_tree``; a document with a DOCTYPE is refused
(that covers XXE and billion-laughs documents before anything could be expanded); size and
nesting depth are limited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from adapters.base import Issue, TranslationError

__all__ = [
    "DOCTYPE_MARKERS",
    "PROLOG",
    "XmlLimits",
    "check_no_doctype",
    "iterparse",
    "parse",
    "safe_parser",
]


@dataclass(frozen=True, slots=True)
class XmlLimits:
    #: Largest document parsed in one piece (a batch file is streamed and limited per message).
    max_bytes: int = 20 * 1024 * 1024
    #: Deepest element nesting accepted; StUF messages in a SOAP envelope need about 8.
    max_depth: int = 32


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
        remove_pis=True,
    )


def parse(data: bytes, limits: XmlLimits) -> etree._Element:
    """The root element of ``data``; :class:`TranslationError` for anything unsafe or broken."""
    if len(data) > limits.max_bytes:
        raise _error("too-large", f"the document is larger than {limits.max_bytes} bytes")
    if any(marker in data[:PROLOG] for marker in DOCTYPE_MARKERS):
        raise _doctype()
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise _error("malformed-xml", f"not well-formed XML: {_syntax(exc)}", exc.lineno) from None
    check_no_doctype(root.getroottree())
    if root.xpath("boolean(" + "/*" * (limits.max_depth + 1) + ")"):
        raise _error("too-deep", f"elements are nested deeper than {limits.max_depth} levels")
    return root


def check_no_doctype(tree: etree._ElementTree) -> None:
    info = tree.docinfo
    if getattr(info, "doctype", "") or info.internalDTD is not None or info.externalDTD is not None:
        raise _doctype()


#: A DOCTYPE comes before the root element; looking at the start of the document finds it
#: before the parser reads a single entity declaration (UTF-8 and UTF-16 spellings).
PROLOG = 64 * 1024
DOCTYPE_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def _doctype() -> TranslationError:
    return _error(
        "doctype-forbidden",
        "a DOCTYPE (DTD, entity declarations) is not allowed; send the message without it",
        1,
    )


def iterparse(source: IO[bytes], *, tag: Any = None) -> Any:
    """lxml ``iterparse`` with the same safety settings; the caller frees finished elements."""
    return etree.iterparse(
        source,
        events=("start", "end"),
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def _syntax(exc: etree.XMLSyntaxError) -> str:
    message = str(exc.msg or exc).strip()
    return f"line {exc.lineno}, column {exc.offset}: {message}" if exc.lineno else message


def _error(code: str, message: str, line: int | None = None) -> TranslationError:
    where = f"line {line}" if line else "/"
    return TranslationError([Issue(where=where, code=code, message=message)], code=code)
