"""The one helper module of the benchmarks (not a test: run the bench scripts).

* the machine: :func:`cores`, :func:`machine`, CPU and memory accounting
  (:func:`cpu_seconds`, :class:`CpuMeter`, :func:`measure_cpu`, :class:`Sampler`,
  :func:`peak_rss_mb`, :func:`rss_mb`);
* processes: :func:`free_port`, :func:`wait_port`, :func:`stop`, a fresh local broker
  (:func:`local_broker`), a baseline producer (:func:`baseline_producer`), work directories
  (:func:`workdir`, :func:`kept_workdir`), the gateway as its own process - for uploads
  (:func:`gateway_server`, an agency client), for StUF (:func:`start_gateway`, a municipality
  client), with Kafka and the relay (:func:`gateway`, :func:`relay_process`) - and a bare
  FastAPI endpoint as a ceiling (:func:`start_bare`);
* talking to it: :func:`request`, :func:`status_of`, :func:`upload_in_own_process`,
  :func:`wait_final`, :func:`wait_for_records`;
* data: test BSNs (:func:`bsns`), the ops client and fast seeding of the store (:func:`seed`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import csv
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaProducer
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.auth import Client, ClientRegistry, hash_key  # noqa: E402
from gateway.clients_file import add_client, ensure_demo_clients  # noqa: E402
from gateway.events import EventFactory  # noqa: E402
from gateway.localkafka import LocalKafka  # noqa: E402
from gateway.store import Store  # noqa: E402
from gateway.store.tables import inbound, messages  # noqa: E402

PYTHON = sys.executable
#: The gateway's command line, in the interpreter the benchmark runs in.
FLEXGW = [PYTHON, "-m", "gateway.cli"]
CLIENT_ID = "flexwerk-uitzend"
API_KEY = "bench-key-" + "k" * 32
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
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


# --- the machine --------------------------------------------------------------------------


def cores() -> int:
    return os.cpu_count() or 1


def machine() -> str:
    return f"{cores()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB"


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU seconds of a process (and, when asked, of all its descendants)."""
    process = psutil.Process(pid)
    times = process.cpu_times()
    total = float(times.user + times.system)
    for child in process.children(recursive=True) if children else []:
        with contextlib.suppress(psutil.Error):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total


class CpuMeter:
    """CPU seconds a process and its children used between start() and stop(), and that as a
    share of one core."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process

    def start(self) -> None:
        self._cpu = cpu_seconds(self.process.pid, children=True)
        self._wall = time.perf_counter()

    def stop(self) -> tuple[float, float]:
        used = cpu_seconds(self.process.pid, children=True) - self._cpu
        wall = time.perf_counter() - self._wall
        return used, used / wall if wall else 0.0


@dataclass
class CpuShare:
    """CPU used by this process and its children (the broker) over a span, as a share of the
    machine's cores."""

    wall: float = 0.0
    own: float = 0.0
    children: float = 0.0

    def line(self) -> str:
        if self.wall <= 0:
            return "cpu n/a"
        own = 100 * self.own / self.wall / cores()
        kids = 100 * self.children / self.wall / cores()
        return f"CPU share of the machine: this process {own:.0f}%, broker {kids:.0f}%"


@contextlib.contextmanager
def measure_cpu() -> Iterator[CpuShare]:
    me = psutil.Process()
    kids = me.children(recursive=True)
    share = CpuShare()
    start_wall, start_own = time.perf_counter(), cpu_seconds(me.pid)
    start_kids = {k.pid: cpu_seconds(k.pid) for k in kids}
    try:
        yield share
    finally:
        share.wall = time.perf_counter() - start_wall
        share.own = cpu_seconds(me.pid) - start_own
        share.children = sum(cpu_seconds(k.pid) - start_kids[k.pid] for k in kids if k.is_running())


class Sampler:
    """Peak RSS (server and its children) and CPU seconds, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.cpu_start = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid, children=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = 0
            for proc in [self.process, *self.process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    rss += proc.memory_info().rss
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(0.05)

    def start(self) -> None:
        self.cpu_start = self.cpu_seconds()
        self._thread.start()

    def stop(self) -> float:
        """CPU seconds used since start."""
        self._stop.set()
        self._thread.join()
        return self.cpu_seconds() - self.cpu_start


def peak_rss_mb(pid: int) -> float:
    """The process's resident-set high-water mark (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return rss_mb(pid)


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 1024 / 1024


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until something listens on ``port`` (uvicorn listens once the app has started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def workdir(name: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"flexgw-bench-{name}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def kept_workdir(keep: Path | None) -> Path:
    """``keep`` (``--keep``), or a temporary directory removed when the script exits: the
    files are large (up to 1 GB and its store), never leave them behind."""
    work = keep or Path(tempfile.mkdtemp(prefix="flexgw-bench-"))
    if keep is None:
        atexit.register(shutil.rmtree, work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    return work


def baseline_producer(bootstrap: str) -> AIOKafkaProducer:
    """A bare aiokafka producer with the relay's delivery settings, for the baselines."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
    )


@contextlib.contextmanager
def local_broker(home: Path) -> Iterator[LocalKafka]:
    broker = LocalKafka(
        home=home,
        cache=Path.home() / ".cache" / "flexgw",
        port=free_port(),
        controller_port=free_port(),
    )
    broker.up()
    try:
        yield broker
    finally:
        broker.down()


def _env(data_dir: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "FLEXGW_DATA_DIR": str(data_dir),
        "FLEXGW_LOG_LEVEL": "warning",
        **{f"FLEXGW_{k.upper()}": v for k, v in settings.items()},
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def gateway_server(data_dir: Path, **settings: str) -> Iterator[Server]:
    """The gateway without relay, one agency client (``API_KEY``), ``settings`` as
    ``FLEXGW_*``; its output in ``data_dir/server.log``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    clients = data_dir / "clients.toml"
    clients.write_text(
        "[[client]]\n"
        f'id = "{CLIENT_ID}"\nrole = "agency"\nkvk = "12345678"\n'
        f'key_sha256 = ["{hash_key(API_KEY)}"]\n',
        encoding="utf-8",
    )
    port = free_port()
    env = _env(
        data_dir,
        clients_file=str(clients),
        person_key_secret=PERSON_KEY_SECRET,
        inbox_enabled="false",
        **settings,
    )
    with (data_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [*FLEXGW, "serve", "--no-relay", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_port(port, process)
            yield Server(process, port, data_dir)
        finally:
            stop(process)


def start_gateway(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """The gateway on SQLite in ``data_dir`` (relay off: intake only), and an API key of
    gemeente-amsterdam (0363)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key = add_client(
        data_dir / "clients.toml",
        client_id="gemeente-amsterdam",
        role="municipality",
        gemeentecode="0363",
    )
    process = subprocess.Popen(
        [*FLEXGW, "serve", "--port", str(port), "--no-relay"],
        cwd=ROOT,
        env=_env(data_dir, stuf_inbox_enabled="false"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, process)
    return process, key


def start_bare(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "bench" / "_bare_server.py"), str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, process)
    return process


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    url: str
    key: str

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)


@contextlib.contextmanager
def gateway(
    data_dir: Path,
    kafka: LocalKafka,
    *,
    relay: bool = True,
    topic: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[GatewayProcess]:
    """The gateway publishing to ``kafka``, the demo clients; the key of flexwerk-uitzend."""
    keys = ensure_demo_clients(data_dir / "clients.toml", data_dir / "demo-keys.txt")
    port = free_port()
    env = {
        **_env(data_dir, kafka_bootstrap_servers=kafka.bootstrap, default_topic=topic),
        "FLEXGW_PORT": str(port),
        **(extra_env or {}),
    }
    argv = [*FLEXGW, "serve"] + ([] if relay else ["--no-relay"])
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_port(port, process)
        yield GatewayProcess(process, f"http://127.0.0.1:{port}", keys[CLIENT_ID])
    finally:
        stop(process)


@contextlib.contextmanager
def relay_process(
    data_dir: Path, kafka: LocalKafka, topic: str, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    env = _env(data_dir, kafka_bootstrap_servers=kafka.bootstrap, default_topic=topic)
    env.update(extra_env or {})
    process = subprocess.Popen([*FLEXGW, "relay"], cwd=ROOT, env=env)
    try:
        yield process
    finally:
        stop(process)


# --- talking to it ------------------------------------------------------------------------


async def request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", "Host: bench", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunk(body)
    return status, body


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_text, _, rest = body.partition(b"\r\n")
        size = int(size_text, 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def status_of(port: int, upload_id: str) -> dict[str, Any]:
    code, body = asyncio.run(
        request(port, "GET", f"/v1/uploads/{upload_id}", {"Authorization": f"Bearer {API_KEY}"})
    )
    if code != 200:
        raise RuntimeError(f"status request answered {code}: {body[:300]!r}")
    result: dict[str, Any] = json.loads(body)
    return result


def upload_in_own_process(port: int, path: Path) -> dict[str, Any]:
    """Runs bench/_upload_client.py: streams the file, returns its timings and the answer."""
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "_upload_client.py"), str(port), API_KEY, str(path)],
        check=True,
        capture_output=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def wait_final(port: int, upload_id: str, timeout: float) -> tuple[dict[str, Any], float]:
    """Polls until accepted/rejected; returns the status and when it was first seen."""
    deadline = time.monotonic() + timeout
    while True:
        status = status_of(port, upload_id)
        if status["status"] in ("accepted", "partially_accepted", "rejected"):
            return status, time.perf_counter()
        if time.monotonic() > deadline:
            raise TimeoutError(f"upload still {status['status']} after {timeout} s")
        time.sleep(0.25)


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


async def wait_for_records(
    bootstrap: str, topic: str, expected: int, timeout: float = 600
) -> float:
    """Polls the topic's end offsets until ``expected`` records are there; returns the time.
    read_committed: with the relay's transactions the end is the last stable offset, which
    also counts one commit marker per partition and transaction (a few per 6,000 records)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed"
    )
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


# --- data ---------------------------------------------------------------------------------


def valid_test_bsns(start: int = 20_000_000) -> Iterator[str]:
    """Test BSNs that pass the eleven test, ascending from ``start`` (eight digits + check)."""
    n = start
    while True:
        digits = f"{n:08d}"
        check = sum(w * int(d) for w, d in zip(WEIGHTS, digits, strict=True)) % 11
        if check < 10:
            yield digits + str(check)
        n += 1


def bsns(count: int, start: int = 20_000_000) -> list[str]:
    """The first ``count`` of :func:`valid_test_bsns`."""
    return list(itertools.islice(valid_test_bsns(start), count))


def plain_reader_pass(path: Path) -> tuple[int, float]:
    """The ceiling: rows per second of a bare csv.reader over the same file (same decoding)."""
    started = time.perf_counter()
    rows = 0
    with path.open(encoding="cp1252", newline="") as handle:
        for _ in csv.reader(handle, delimiter=";"):
            rows += 1
    return rows - 1, time.perf_counter() - started  # without the header


def clients() -> ClientRegistry:
    """The client registry of the in-process benchmarks: one ops-admin (``OPS_KEY``)."""
    return ClientRegistry(
        [
            Client.model_validate(
                {"id": "ops-admin", "role": "ops-admin", "key_sha256": [hash_key(OPS_KEY)]}
            )
        ]
    )


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
