"""When a watched inbox takes a file: it held still (same size and mtime as at the previous
look) and was not modified for the quiet period. Times come from file mtimes and an injected
clock, never from waiting."""

from __future__ import annotations

import os
from pathlib import Path

from gateway.inbox import HeldStill

NOW = 1_800_000_000.0


def write(path: Path, data: bytes, *, mtime: float) -> Path:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


def clock_at(seconds: float) -> HeldStill:
    return HeldStill(5.0, clock=lambda: seconds)


def test_a_file_is_taken_at_the_second_look_when_unchanged_and_quiet_long_enough(
    tmp_path: Path,
) -> None:
    f = write(tmp_path / "a.xml", b"complete", mtime=NOW - 60)
    still = clock_at(NOW)
    assert still.select([f]) == []  # first sight: nothing to compare with
    assert still.select([f]) == [f]


def test_a_file_that_grew_between_looks_waits(tmp_path: Path) -> None:
    f = write(tmp_path / "a.xml", b"part", mtime=NOW - 60)
    still = clock_at(NOW)
    still.select([f])
    write(f, b"part and more", mtime=NOW - 60)  # same mtime, other size
    assert still.select([f]) == []
    assert still.select([f]) == [f]


def test_a_file_touched_between_looks_waits(tmp_path: Path) -> None:
    f = write(tmp_path / "a.xml", b"data", mtime=NOW - 60)
    still = clock_at(NOW)
    still.select([f])
    os.utime(f, (NOW - 30, NOW - 30))  # same size, other mtime
    assert still.select([f]) == []
    assert still.select([f]) == [f]


def test_a_file_modified_within_the_quiet_period_waits_until_it_has_passed(
    tmp_path: Path,
) -> None:
    f = write(tmp_path / "a.xml", b"data", mtime=NOW - 1)
    now = [NOW]
    still = HeldStill(5.0, clock=lambda: now[0])
    still.select([f])
    assert still.select([f]) == []  # unchanged, but written only a second ago
    now[0] = NOW + 3.9
    assert still.select([f]) == []
    now[0] = NOW + 4.0
    assert still.select([f]) == [f]


def test_a_file_dated_in_the_future_counts_on_the_unchanged_look_alone(tmp_path: Path) -> None:
    f = write(tmp_path / "a.xml", b"data", mtime=NOW + 3600)
    still = clock_at(NOW)
    still.select([f])
    assert still.select([f]) == [f]


def test_files_a_scan_no_longer_lists_and_taken_files_are_forgotten(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xml", b"a", mtime=NOW - 60)
    b = write(tmp_path / "b.xml", b"b", mtime=NOW - 60)
    still = clock_at(NOW)
    still.select([a, b])
    assert still.select([b]) == [b]  # a was not listed: forgotten
    assert still.select([a, b]) == [b]
    still.forget(b)
    assert still.select([a, b]) == [a]  # b taken: the same name again is a new file


def test_a_file_gone_between_listing_and_look_is_skipped(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xml", b"a", mtime=NOW - 60)
    gone = tmp_path / "gone.xml"
    still = clock_at(NOW)
    still.select([a, gone])
    assert still.select([gone, a]) == [a]
