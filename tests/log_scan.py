"""The whole test run's logs, kept in one file and searched for every BSN the tests use, in
every spelling the gateway accepts (acceptance 4 of issue 11).

``tests/conftest.py`` sends every log line of the run through the gateway's real logging
pipeline (``gateway.log.configure_logging``) into one file; when the run ends it fails the run
if any line holds a BSN of the tests, however written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from schemas.identifiers import normalise_bsn

__all__ = ["bsns_in_tests", "leaks", "spellings"]

_NINE = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")
_FULL_WIDTH = {ord("0") + i: 0xFF10 + i for i in range(10)}


def bsns_in_tests(root: Path) -> set[str]:
    """Every nine-digit number in the tests' sources and sample files that passes the eleven
    test: the BSNs the tests use."""
    found: set[str] = set()
    for path in root.rglob("*"):
        if not path.is_file() or path.suffix not in {".py", ".xml", ".csv", ".json", ".txt"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found.update(m.group() for m in _NINE.finditer(text) if normalise_bsn(m.group()))
    return found


def spellings(bsn: str) -> list[str]:
    """The ways the gateway accepts ``bsn`` written (schemas.identifiers.normalise_bsn)."""
    groups = (bsn[:3], bsn[3:6], bsn[6:])
    forms = [
        bsn,
        bsn.translate(_FULL_WIDTH),
        *(sep.join(groups) for sep in (" ", "-", ".", "\u2010")),
    ]
    forms.append(f"{bsn[:4]} {bsn[4:]}")
    if bsn.startswith("0"):
        forms.append(bsn[1:])
    assert all(normalise_bsn(form) == bsn for form in forms), forms
    return forms


def leaks(lines: Iterable[str], bsns: Iterable[str]) -> list[str]:
    """The log lines that hold one of ``bsns`` in any spelling (JSON lines are decoded first,
    so an escaped full-width digit counts too)."""
    needles = [form for bsn in sorted(bsns) for form in spellings(bsn)]
    found: list[str] = []
    for line in lines:
        try:
            text = json.dumps(json.loads(line), ensure_ascii=False)
        except ValueError:
            text = line
        text = text + "\n" + line
        if any(needle in text for needle in needles):
            found.append(line.rstrip("\n"))
    return found
