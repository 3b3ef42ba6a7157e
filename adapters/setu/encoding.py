"""The character encoding of an XML document, found as the XML 1.0 specification says
(Appendix F, "Autodetection of Character Encodings"): a byte order mark first, else the byte
pattern of ``<?xml`` (which tells the encoding family), else the encoding the declaration
names, else UTF-8.

The SETU reader decodes with it and hands the parser UTF-8, so UTF-16 (LE/BE) and UTF-32
(LE/BE) documents parse the same as UTF-8 ones whatever the XML library supports itself.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["XmlEncodingError", "detect_xml_encoding", "to_utf8"]

#: Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
#: The first characters ``<?`` (or ``<`` alone) without a mark: the encoding family.
_PATTERNS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")


#: The encoding pseudo-attribute of a leading XML declaration (in decoded text).
_DECLARED = re.compile(r"""^(<\?xml[^>]*?\sencoding\s*=\s*["'])[A-Za-z][A-Za-z0-9._-]*(["'])""")


class XmlEncodingError(ValueError):
    """The document names an encoding that does not exist or does not fit its bytes."""


def detect_xml_encoding(head: bytes) -> tuple[str, int]:
    """(Python codec, length of the byte order mark) for a document starting with ``head``
    (its first few hundred bytes)."""
    for mark, codec in _BOMS:
        if head.startswith(mark):
            return codec, len(mark)
    for pattern, codec in _PATTERNS:
        if head.startswith(pattern):
            return codec, 0
    found = _DECLARATION.match(head)
    if found is None:
        return "utf-8", 0
    name = found.group(1).decode("ascii")
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise XmlEncodingError(f"the XML declaration names an unknown encoding {name!r}") from None
    if codec.startswith(("utf-16", "utf-32")):
        # A declaration read as ASCII cannot name a 2- or 4-byte encoding without a mark.
        raise XmlEncodingError(
            f"the declaration says {name} but the document is not written in it (no byte "
            "order mark, single-byte characters)"
        )
    return codec, 0


def to_utf8(payload: bytes) -> bytes:
    """The document as UTF-8 without a byte order mark, its declaration saying so."""
    codec, skip = detect_xml_encoding(payload[:512])
    if codec == "utf-8" and not skip:
        return payload
    try:
        text = payload[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        raise XmlEncodingError(
            f"the document is not valid {codec} at byte {exc.start + skip}"
        ) from None
    return _DECLARED.sub(r"\1UTF-8\2", text, count=1).encode("utf-8")
