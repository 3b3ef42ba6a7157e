"""Every XML example in docs/stuf.md is what it claims to be: messages are valid against the
gateway's schemas, replies against the official stuf0301.xsd."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from adapters.stuf import adapter
from adapters.stuf.messages import kind_of
from tests.adapters.stuf.official import assert_valid, official_stuf0301

DOC = Path(__file__).resolve().parents[3] / "docs" / "stuf.md"
STUF = "{http://www.egem.nl/StUF/StUF0301}"


def blocks() -> list[etree._Element]:
    found = []
    for text in re.findall(r"```xml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        if "..." in text:
            continue  # an outline, not an example
        found.append(etree.fromstring(text.encode()))
    return found


def test_every_example_is_valid() -> None:
    checked = {"messages": 0, "replies": 0}
    for root in blocks():
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            if kind_of(element) is not None:
                assert adapter.schemas.issues(element) == [], etree.tostring(element)[:200]
                checked["messages"] += 1
            elif element.tag in (f"{STUF}Bv03Bericht", f"{STUF}Fo03Bericht", f"{STUF}Fo02Bericht"):
                assert_valid(official_stuf0301(), element)
                checked["replies"] += 1
    assert checked["messages"] >= 11 and checked["replies"] >= 10, checked
