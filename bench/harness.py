"""Shared pieces of the benchmarks: a fresh local broker, the gateway as its own process, an
efficient HTTP load generator in its own process, CPU accounting, test BSNs."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.localkafka import LocalKafka  # noqa: E402

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def bsns(count: int, start: int = 20_000_000) -> list[str]:
    found: list[str] = []
    n = start
    while len(found) < count:
        digits = f"{n:08d}"
        check = sum(w * int(d) for w, d in zip(WEIGHTS, digits, strict=True)) % 11
        if check < 10:
            found.append(digits + str(check))
        n += 1
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cores() -> int:
    return os.cpu_count() or 1


@contextmanager
def broker(workdir: Path) -> Iterator[LocalKafka]:
    port, controller = free_port(), free_port()
    kafka = LocalKafka(
        home=workdir / "kafka",
        cache=Path.home() / ".cache" / "flexgw",
        port=port,
        controller_port=controller,
    )
    kafka.up()
    try:
        yield kafka
    finally:
        kafka.down()


@contextmanager
def workdir(name: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"flexgw-bench-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    url: str
    key: str

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)


def write_clients(data_dir: Path) -> dict[str, str]:
    from gateway.clients_file import ensure_demo_clients

    return ensure_demo_clients(data_dir / "clients.toml", data_dir / "demo-keys.txt")


@contextmanager
def gateway(
    data_dir: Path,
    kafka: LocalKafka,
    *,
    relay: bool = True,
    topic: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[GatewayProcess]:
    keys = write_clients(data_dir)
    port = free_port()
    env = {
        **os.environ,
        "FLEXGW_DATA_DIR": str(data_dir),
        "FLEXGW_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "FLEXGW_DEFAULT_TOPIC": topic,
        "FLEXGW_LOG_LEVEL": "warning",
        "FLEXGW_PORT": str(port),
        **(extra_env or {}),
    }
    argv = [str(ROOT / ".venv" / "bin" / "flexgw"), "serve"] + ([] if relay else ["--no-relay"])
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway did not start") from None
            time.sleep(0.1)
    try:
        yield GatewayProcess(process, url, keys["flexwerk-uitzend"])
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def relay_process(
    data_dir: Path, kafka: LocalKafka, topic: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FLEXGW_DATA_DIR": str(data_dir),
        "FLEXGW_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
        "FLEXGW_DEFAULT_TOPIC": topic,
        "FLEXGW_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "flexgw"), "relay"], env=env)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(30)


class CpuMeter:
    """CPU seconds a process used between start() and stop(), as a share of one core."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process

    def start(self) -> None:
        self._cpu = _cpu(self.process)
        self._wall = time.perf_counter()

    def stop(self) -> tuple[float, float]:
        used = _cpu(self.process) - self._cpu
        wall = time.perf_counter() - self._wall
        return used, used / wall if wall else 0.0


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    total = times.user + times.system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
        except psutil.NoSuchProcess:
            pass
    return total


async def wait_for_records(
    bootstrap: str, topic: str, expected: int, timeout: float = 600
) -> float:
    """Polls the topic's end offsets until ``expected`` records are there; returns the time."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        deadline = time.perf_counter() + timeout
        while True:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                tps = [TopicPartition(topic, p) for p in partitions]
                end = await consumer.end_offsets(tps)
                if sum(end.values()) >= expected:
                    return time.perf_counter()
            else:
                await consumer._client.force_metadata_update()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{topic} did not reach {expected} records")
            await asyncio.sleep(0.02)
    finally:
        await consumer.stop()
