"""Shared by the benchmark scripts: the machine, CPU accounting, a local broker, an ops client,
fast seeding of the store with executemany."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import insert

from gateway.auth import Client, ClientRegistry, hash_key
from gateway.events import EventFactory
from gateway.localkafka import LocalKafka
from gateway.store import Store
from gateway.store.tables import inbound, messages

OPS_KEY = "bench-ops-admin-key-0123456789abcdef"
PERSON_KEY_SECRET = "bench-person-key-secret-0123456789abcdef"
TYPES = [
    "placement.started",
    "hours.reported",
    "candidate.enrolled",
    "benefit.status-changed",
    "payroll.reported",
]
ERROR_CODES = [
    "record-too-large",
    "kafka-rejected",
    "back-office:UnknownClient",
    "back-office:UnknownAssignment",
    "broken-record",
]
SENDERS = [f"agency-{i:02d}" for i in range(20)]
CHANNELS = ["rest", "soap", "upload"]


def clients() -> ClientRegistry:
    return ClientRegistry(
        [
            Client.model_validate(
                {"id": "ops-admin", "role": "ops-admin", "key_sha256": [hash_key(OPS_KEY)]}
            )
        ]
    )


def machine() -> str:
    return f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"


@dataclass
class CpuShare:
    """CPU used by this process and its children (the broker) over a span, as a share of the
    machine's cores."""

    wall: float = 0.0
    own: float = 0.0
    children: float = 0.0

    def line(self) -> str:
        cores = os.cpu_count() or 1
        if self.wall <= 0:
            return "cpu n/a"
        own = 100 * self.own / self.wall / cores
        kids = 100 * self.children / self.wall / cores
        return f"CPU share of the machine: this process {own:.0f}%, broker {kids:.0f}%"


def _cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return float(t.user + t.system)


@contextmanager
def measure_cpu() -> Iterator[CpuShare]:
    me = psutil.Process()
    kids = me.children(recursive=True)
    share = CpuShare()
    start_wall, start_own = time.perf_counter(), _cpu(me)
    start_kids = {k.pid: _cpu(k) for k in kids}
    try:
        yield share
    finally:
        share.wall = time.perf_counter() - start_wall
        share.own = _cpu(me) - start_own
        share.children = sum(_cpu(k) - start_kids[k.pid] for k in kids if k.is_running())


@contextmanager
def local_broker(home: Path) -> Iterator[LocalKafka]:
    import socket

    def free() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    broker = LocalKafka(
        home=home, cache=Path.home() / ".cache" / "flexgw", port=free(), controller_port=free()
    )
    broker.up()
    try:
        yield broker
    finally:
        broker.down()


def events() -> EventFactory:
    return EventFactory(
        person_key_secret=PERSON_KEY_SECRET.encode(),
        source_prefix="urn:flextensie:gateway:",
        topic_for=lambda _t: "unused",
    )


async def seed(
    store: Store,
    count: int,
    *,
    topic: str,
    state_of: Any,
    value: bytes,
    per_inbound: int = 1000,
    persons: int = 5000,
    chunk: int = 10_000,
) -> None:
    """``count`` messages with their inbound payloads, inserted with executemany. ``state_of(i)``
    gives (state, error_code, type, sender) of message i."""
    factory = events()
    keys = [factory.person_key(f"{100000000 + p}") for p in range(persons)]
    start = datetime.now(UTC) - timedelta(days=30)
    step = timedelta(days=30) / max(count, 1)
    for base in range(0, count, chunk):
        size = min(chunk, count - base)
        inbound_rows = []
        message_rows = []
        for i in range(base, base + size):
            state, error_code, type_, sender = state_of(i)
            at = start + step * i
            inbound_id = f"00000000-0000-4000-8000-{i // per_inbound:012d}"
            if i % per_inbound == 0:
                inbound_rows.append(
                    {
                        "id": inbound_id,
                        "sender": sender,
                        "channel": CHANNELS[(i // per_inbound) % 3],
                        "adapter": "canonical-json",
                        "content_type": "application/json",
                        "content_hash": uuid.uuid4().hex * 2,
                        "received_at": at,
                        "state": "accepted",
                        "payload": value,
                        "payload_size": len(value),
                        "status_code": 202,
                        "response": {},
                    }
                )
            message_id = str(uuid.UUID(int=i + 1))
            message_rows.append(
                {
                    "id": message_id,
                    "inbound_id": inbound_id,
                    "sender": sender,
                    "type": type_,
                    "topic": topic,
                    "key": keys[i % persons],
                    "source": f"urn:flextensie:gateway:{sender}",
                    "event_time": "2026-11-01T09:00:00.000Z",
                    "value": value,
                    "state": state,
                    "attempts": 1,
                    "error_code": error_code,
                    "error_message": f"{error_code}: seeded for the benchmark"
                    if error_code
                    else None,
                    "created_at": at,
                }
            )
        async with store.write() as conn:
            if inbound_rows:
                await conn.execute(insert(inbound), inbound_rows)
            await conn.execute(insert(messages), message_rows)
