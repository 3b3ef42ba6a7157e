"""Where the official standards are (read-only, never copied into the project).

``FLEXGW_TEST_STANDARDS_DIR`` overrides; otherwise ``<repository root>/../shared/standards``,
where the repository root of a git worktree is that of its main checkout, and a clone of a
local checkout also looks beside the checkout it was cloned from. Missing standards fail the
test that needs them: a conformance test that cannot run must not pass or skip.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _main_checkout(root: Path) -> Path:
    git = root / ".git"
    if git.is_file():  # a worktree: "gitdir: <main>/.git/worktrees/<name>"
        target = git.read_text(encoding="utf-8").partition("gitdir:")[2].strip()
        parts = Path(target).parts
        if ".git" in parts:
            return Path(*parts[: parts.index(".git")])
    return root


def _cloned_from(root: Path) -> Path | None:
    """The local checkout this repository was cloned from (``origin`` as a path), if any."""
    result = subprocess.run(
        ["git", "-C", str(root), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    )
    url = result.stdout.strip().removeprefix("file://")
    return Path(url) if url.startswith("/") and Path(url).is_dir() else None


def standards_dir() -> Path:
    given = os.environ.get("FLEXGW_TEST_STANDARDS_DIR")
    candidates = (
        [Path(given)]
        if given
        else [
            ROOT.parent / "shared" / "standards",
            _main_checkout(ROOT).parent / "shared" / "standards",
        ]
    )
    origin = None if given else _cloned_from(ROOT)
    if origin is not None:
        candidates.append(origin.parent / "shared" / "standards")
    for candidate in candidates:
        if (candidate / "stuf" / "0301" / "stuf0301.xsd").is_file():
            return candidate
    pytest.fail(
        "the official standards are missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); put them at <repository>/../shared/standards or set FLEXGW_TEST_STANDARDS_DIR",
        pytrace=False,
    )


def stuf_dir() -> Path:
    return standards_dir() / "stuf"


def setu_dir() -> Path:
    found = standards_dir() / "setu"
    if not (found / "setu" / "examples").is_dir():
        pytest.fail(f"the official SETU standards are not at {found}", pytrace=False)
    return found
