"""Where the official standards are: ``../shared/standards`` next to the project (the first
``shared/standards`` found walking up from the repository, so git worktrees find it too), or
the directory named by ``FLEXGW_TEST_STANDARDS_DIR`` (or ``FLEXGW_STANDARDS_DIR``). Read here,
in tests only.

A missing directory fails the tests that need it, loudly: conformance is never skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]


def _find() -> Path:
    given = os.environ.get("FLEXGW_TEST_STANDARDS_DIR") or os.environ.get("FLEXGW_STANDARDS_DIR")
    if given:
        return Path(given)
    for ancestor in _ROOT.parents:
        candidate = ancestor / "shared" / "standards"
        if candidate.is_dir():
            return candidate
    return _ROOT.parent / "shared" / "standards"


STANDARDS_DIR = _find()


def setu_dir() -> Path:
    found = STANDARDS_DIR / "setu"
    if not (found / "setu" / "examples").is_dir():
        pytest.fail(
            f"the official SETU standards are not at {found}: put the shared standards next to "
            "the project (../shared/standards) or set FLEXGW_TEST_STANDARDS_DIR",
            pytrace=False,
        )
    return found
