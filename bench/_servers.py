"""Start the gateway (and a bare FastAPI endpoint) as separate processes for the benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def start_gateway(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """The gateway on SQLite in ``data_dir`` (relay off: intake only), and an API key of
    gemeente-amsterdam (0363)."""
    sys.path.insert(0, str(ROOT))
    from gateway.clients_file import add_client

    data_dir.mkdir(parents=True, exist_ok=True)
    key = add_client(
        data_dir / "clients.toml",
        client_id="gemeente-amsterdam",
        role="municipality",
        gemeentecode="0363",
    )
    env = {
        **os.environ,
        "FLEXGW_DATA_DIR": str(data_dir),
        "FLEXGW_LOG_LEVEL": "warning",
        "FLEXGW_STUF_INBOX_ENABLED": "false",
    }
    process = subprocess.Popen(
        [PYTHON, "-m", "gateway.cli", "serve", "--port", str(port), "--no-relay"],
        cwd=ROOT,
        env=env,
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


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def peak_rss_mb(pid: int) -> float:
    """The process's resident-set high-water mark (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return psutil.Process(pid).memory_info().rss / 1024 / 1024


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 1024 / 1024
