"""Batch files: many kennisgevingen in one XML file, read in constant memory.

The wrapper is StUF's own file-exchange element ``StUF:StUF-berichtenSet``; every child is one
complete message (kandidaatLk01, uitkeringLk01, plaatsingLk01, npsLk01), each with its own
stuurgegevens, validated and answered on its own::

    <StUF:StUF-berichtenSet xmlns:StUF="http://www.egem.nl/StUF/StUF0301">
      <FX:kandidaatLk01 xmlns:FX="http://www.flextensie.nl/StUF/sector/fx/0100">...</FX:kandidaatLk01>
      <BG:npsLk01 xmlns:BG="http://www.egem.nl/StUF/sector/bg/0310">...</BG:npsLk01>
    </StUF:StUF-berichtenSet>

:func:`read_batch` yields each message element while the file is parsed with ``iterparse``
and frees it as soon as the caller moves on, so memory does not grow with the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

from adapters.base import Issue, TranslationError
from adapters.stuf.namespaces import STUF, qname
from adapters.xmlsafe import UnsafeXml, XmlLimits, iterparse

__all__ = ["BATCH_ROOT", "BatchItem", "read_batch"]

BATCH_ROOT = qname(STUF, "StUF-berichtenSet")


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One message of a batch (``element``), or the error that ends the file (``fatal``)."""

    index: int
    line: int
    element: etree._Element | None = None
    fatal: TranslationError | None = None


def _fatal(index: int, line: int, code: str, message: str) -> BatchItem:
    issue = Issue(where=f"line {line}", code=code, message=message)
    return BatchItem(index, line, fatal=TranslationError([issue], code=code))


def read_batch(source: IO[bytes], limits: XmlLimits) -> Iterator[BatchItem]:
    """Each message element of the file, in order. The element is valid only until the next
    item is asked for. A file that breaks off or is not a batch ends with a ``fatal`` item."""
    depth = 0
    index = 0
    root: etree._Element | None = None
    try:
        for event, element in iterparse(source, limits):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                    if element.tag != BATCH_ROOT:
                        yield _fatal(
                            0,
                            _line(element),
                            "not-a-batch",
                            "a batch file is a StUF:StUF-berichtenSet holding the messages",
                        )
                        return
                continue
            depth -= 1
            if depth != 1 or not isinstance(element.tag, str):
                continue
            index += 1
            yield BatchItem(index, _line(element), element=element)
            element.clear()  # the tail too (lxml keeps it only when asked)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
                parent.remove(element)
    except UnsafeXml as exc:
        note = f"{exc.issue.message}; the {index} message(s) before it were processed"
        yield BatchItem(index + 1, exc.line or 0, fatal=UnsafeXml.because(note, exc.line))


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) else 0
