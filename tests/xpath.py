"""XPath with the result type the test expects: lxml types every ``xpath`` result as any XPath
value (a number, a string, a list of nodes or strings); these check what came back instead."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

__all__ = ["elements", "texts"]


def elements(
    node: etree._Element, path: str, namespaces: Mapping[str, str] | None = None
) -> list[etree._Element]:
    found = node.xpath(path, namespaces=namespaces)
    assert isinstance(found, list), found
    result: list[etree._Element] = []
    for item in found:
        assert isinstance(item, etree._Element), item
        result.append(item)
    return result


def texts(
    node: etree._Element, path: str, namespaces: Mapping[str, str] | None = None
) -> list[str]:
    """Text nodes or attribute values (``.../text()``, ``.../@name``)."""
    found = node.xpath(path, namespaces=namespaces)
    assert isinstance(found, list), found
    result: list[str] = []
    for item in found:
        assert isinstance(item, str), item
        result.append(item)
    return result
