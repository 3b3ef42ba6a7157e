"""docs/guarantees.md names, for every promise, the test that holds it: each name must be a
test that exists, so a renamed or removed test cannot leave a promise silently unchecked."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: `tests/x.py::test_name`, or `::test_name` for another test of the file named before it.
REFERENCE = re.compile(r"`(?P<file>tests/[\w/]+\.py)?(?:::(?P<test>\w+))?`")


def test_every_test_named_in_the_guarantees_exists() -> None:
    text = (ROOT / "docs" / "guarantees.md").read_text("utf-8")
    current: str | None = None
    named = 0
    missing: list[str] = []
    for found in REFERENCE.finditer(text):
        if found["file"]:
            current = found["file"]
            if not (ROOT / current).is_file():
                missing.append(current)
                continue
        if found["test"] and current:
            named += 1
            source = (ROOT / current).read_text("utf-8")
            if not re.search(rf"^(async )?def {found['test']}\(", source, re.MULTILINE):
                missing.append(f"{current}::{found['test']}")
    assert named > 50, named
    assert missing == []


def test_delivery_doc_links_the_guarantees() -> None:
    assert "(guarantees.md)" in (ROOT / "docs" / "delivery.md").read_text("utf-8")
