"""Issue 13: a second ``flexgw relay`` says that it waits, and for whom: the relay that holds
the lease."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.conftest import PERSON_KEY_SECRET

FLEXGW = str(Path(sys.executable).with_name("flexgw"))


class _Relay:
    """``flexgw relay`` in its own process; its JSON log lines read by a thread, so a wait for
    a line that never comes ends at its deadline."""

    def __init__(self, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEXGW_")}
        env.update(
            FLEXGW_DATA_DIR=str(data_dir),
            FLEXGW_PERSON_KEY_SECRET=PERSON_KEY_SECRET,
            # No broker: the lease is taken before anything is published.
            FLEXGW_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
            FLEXGW_LOG_FORMAT="json",
        )
        self.process = subprocess.Popen(
            [FLEXGW, "relay"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def events_until(self, event: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Its log entries up to the first ``event``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            with contextlib.suppress(ValueError):
                seen.append(json.loads(line))
                if seen[-1].get("event") == event:
                    return seen
        raise AssertionError(f"no {event} within {timeout}s: {seen}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def test_a_second_relay_says_it_waits_for_the_lease_and_who_holds_it(tmp_path: Path) -> None:
    first = _Relay(tmp_path)
    try:
        taken = first.events_until("lease_changed")[-1]
        second = _Relay(tmp_path)
        try:
            said = second.events_until("lease_waiting")[-1]
        finally:
            second.stop()
    finally:
        first.stop()
    assert taken["held"] is True
    assert said["lease"] == taken["lease"] == "outbox"
    assert said["holder"] == taken["owner"]
    assert said["owner"] != taken["owner"]
    assert said["level"] == "warning"
    assert f"{taken['owner']} holds the outbox lease" in said["detail"]
