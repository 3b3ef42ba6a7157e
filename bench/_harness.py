"""Shared pieces of the upload benchmarks: a real gateway server in its own process, an
upload client in another (raw asyncio sockets, streaming the file), status polling, and
sampling of the server's peak RSS and CPU time. Not a test: run the bench scripts."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
FLEXGW = ROOT / ".venv" / "bin" / "flexgw"
CLIENT_ID = "flexwerk-uitzend"
API_KEY = "bench-key-" + "k" * 32


def cores() -> int:
    return os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def plain_reader_pass(path: Path) -> tuple[int, float]:
    """The ceiling: rows per second of a bare csv.reader over the same file (same decoding)."""
    started = time.perf_counter()
    rows = 0
    with path.open(encoding="cp1252", newline="") as handle:
        for _ in csv.reader(handle, delimiter=";"):
            rows += 1
    return rows - 1, time.perf_counter() - started  # without the header


def write_clients(path: Path) -> None:
    from gateway.auth import hash_key

    path.write_text(
        "[[client]]\n"
        f'id = "{CLIENT_ID}"\nrole = "agency"\nkvk = "12345678"\n'
        f'key_sha256 = ["{hash_key(API_KEY)}"]\n',
        encoding="utf-8",
    )


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
    data_dir.mkdir(parents=True, exist_ok=True)
    clients = data_dir / "clients.toml"
    write_clients(clients)
    port = free_port()
    env = {
        **os.environ,
        "FLEXGW_DATA_DIR": str(data_dir),
        "FLEXGW_CLIENTS_FILE": str(clients),
        "FLEXGW_PERSON_KEY_SECRET": "bench-person-key-secret-0123456789abcdef",
        "FLEXGW_INBOX_ENABLED": "false",
        "FLEXGW_LOG_LEVEL": "warning",
        **{f"FLEXGW_{k.upper()}": v for k, v in settings.items()},
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [str(FLEXGW), "serve", "--no-relay", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, port, data_dir)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the gateway did not start; see {data_dir / 'server.log'}")
            try:
                status, _ = asyncio.run(request(port, "GET", "/healthz"))
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not become healthy in 60 s")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


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
        [sys.executable, str(ROOT / "bench" / "_upload_client.py"), str(port), API_KEY, str(path)],
        check=True,
        capture_output=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class Sampler:
    """Peak RSS (server and its children) and CPU seconds, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.cpu_start = self.cpu_seconds()

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

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
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
