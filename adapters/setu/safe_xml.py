"""XML is hostile until parsed safely: no entities resolved, no network, no DTD loaded, no
huge-tree mode, any DOCTYPE refused, element depth and count bounded."""

from __future__ import annotations

from typing import IO

from lxml import etree

from adapters.base import Issue

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "UnsafeXml", "parse_xml"]

MAX_DEPTH = 40
MAX_ELEMENTS = 2_000_000


class UnsafeXml(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def parse_xml(
    source: IO[bytes], *, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS
) -> etree._Element:
    """The document's root element, or :class:`UnsafeXml` with the reason."""
    context = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    count = 0
    root: etree._Element | None = None
    try:
        for event, element in context:
            if event == "end":
                depth -= 1
                continue
            if root is None:
                root = element
                if element.getroottree().docinfo.doctype:
                    raise UnsafeXml(
                        Issue("/", "invalid_xml", "a DOCTYPE is not allowed in SETU messages")
                    )
            depth += 1
            count += 1
            if depth > max_depth:
                raise UnsafeXml(
                    Issue("/", "invalid_xml", f"elements nest deeper than {max_depth} levels")
                )
            if count > max_elements:
                raise UnsafeXml(Issue("/", "invalid_xml", f"more than {max_elements} elements"))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise UnsafeXml(
            Issue(f"line {line}", "invalid_xml", f"not well-formed XML at line {line}: {exc.msg}")
        ) from None
    if root is None:
        raise UnsafeXml(Issue("/", "invalid_xml", "the document is empty"))
    return root
