"""What the watched inbox directories share (StUF batch files, agency uploads): when a file
that a transfer is writing is complete enough to take."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["HeldStill"]


class HeldStill:
    """A file is complete once it held still: the same size and modification time as at the
    previous look, and not modified for at least ``quiet_seconds`` (by its mtime against
    ``clock``, the wall clock mtimes are on). Files are looked at once per scan; whatever a
    scan no longer lists is forgotten.

    Writing under a temporary name and renaming when done is still the surest way for a
    sender; this is what protects the gateway from one that writes in place.
    """

    def __init__(self, quiet_seconds: float, *, clock: Callable[[], float] = time.time) -> None:
        self._quiet_ns = int(quiet_seconds * 1e9)
        self._clock = clock
        self._seen: dict[Path, tuple[int, int]] = {}

    def select(self, paths: Iterable[Path]) -> list[Path]:
        """One look at every candidate file of a scan: returns those that held still, in the
        order given. A file that vanished meanwhile is skipped."""
        now_ns = int(self._clock() * 1e9)
        seen: dict[Path, tuple[int, int]] = {}
        still: list[Path] = []
        for path in paths:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            seen[path] = signature
            age_ns = now_ns - stat.st_mtime_ns
            # An mtime in the future (a sender's clock, a copied timestamp) cannot be aged:
            # then the unchanged look alone counts.
            if self._seen.get(path) == signature and not 0 <= age_ns < self._quiet_ns:
                still.append(path)
        self._seen = seen
        return still

    def forget(self, path: Path) -> None:
        """The file was taken: should the same name come again, it is a new file."""
        self._seen.pop(path, None)
