"""A throwaway PostgreSQL cluster for the tests (Debian's binaries, no system service).

When ``FLEXGW_TEST_POSTGRES_URL`` is set (``.ci/run`` starts Debian's cluster and sets it),
that server is used instead. Either way a missing PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise PostgresUnavailable(
            f"PostgreSQL's {name} not found; install Debian's postgresql (scripts/ensure-postgres)"
        )
    return path


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    admin_url: str  # postgresql+asyncpg://... to the maintenance database
    _datadir: Path | None = None

    def stop(self) -> None:
        if self._datadir is None:
            return
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(self._datadir), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self._datadir.parent, ignore_errors=True)


def start_postgres() -> PostgresServer:
    external = os.environ.get("FLEXGW_TEST_POSTGRES_URL")
    if external:
        return PostgresServer(admin_url=external)
    root = Path(tempfile.mkdtemp(prefix="flexgw-pg-"))
    datadir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    steps = [
        [
            _bin("initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        [
            _bin("pg_ctl"),
            "-D",
            str(datadir),
            "-l",
            str(root / "pg.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200",
            "start",
        ],
    ]
    for argv in steps:
        result = subprocess.run(_as_postgres(argv), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log = (root / "pg.log").read_text() if (root / "pg.log").exists() else ""
            raise PostgresUnavailable(f"{argv[0]} failed:\n{result.stdout}{result.stderr}{log}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    return PostgresServer(
        admin_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres", _datadir=datadir
    )
