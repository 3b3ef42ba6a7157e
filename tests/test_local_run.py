"""The local run as a developer drives it from two terminals: `flexgw dev` in one, `flexgw kafka
...` in the other; Kafka's own tools from the fetched jars; `kafka tail` shows the newest."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from gateway.cli import app
from gateway.localkafka import LocalKafka
from gateway.localkafka.broker import _alive, _port_open
from tests.conftest import GatewayFactory
from tests.kafka_reader import headers_of, read_topic
from tests.samples import candidate_enrolled
from tests.services.postgres import free_port

FLEXGW = [sys.executable, "-m", "gateway.cli"]
runner = CliRunner()


def _port_pair() -> int:
    """A free port whose successor is free too (Kafka's client and controller port)."""
    while True:
        port = free_port()
        if port < 65535 and not _port_open(port + 1):
            return port


def _wait_for(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout}s")
        time.sleep(0.2)


def test_a_zombie_of_another_process_counts_as_gone() -> None:
    # A parent that starts a child and never reaps it, as `flexgw dev` did with its broker.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, time; p = subprocess.Popen(['sleep', '300']); "
            "print(p.pid, flush=True); time.sleep(300)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        os.kill(child, signal.SIGTERM)
        _wait_for(lambda: not _alive(child), 10, "the killed child to count as gone")
        assert Path(f"/proc/{child}").exists()  # still a zombie: only its parent can reap it
    finally:
        parent.kill()
        parent.wait()


@pytest.mark.kafka
def test_dev_survives_kafka_down_from_another_shell_and_sigterm_exits_0(tmp_path: Path) -> None:
    http_port, kafka_port = free_port(), _port_pair()
    data = tmp_path / "data"
    log = (tmp_path / "dev.log").open("wb")
    dev = subprocess.Popen(
        [
            *FLEXGW,
            "dev",
            "--data-dir",
            str(data),
            "--port",
            str(http_port),
            "--kafka-port",
            str(kafka_port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def healthy() -> bool:
            assert dev.poll() is None, (tmp_path / "dev.log").read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{http_port}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(healthy, 240, "flexgw dev to serve")
        broker_pid = int((data / "kafka" / "broker.pid").read_text())

        down = subprocess.run(
            [*FLEXGW, "kafka", "down", "--data-dir", str(data), "--port", str(kafka_port)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert down.returncode == 0, down.stderr
        assert "Kafka stopped" in down.stderr
        assert not _port_open(kafka_port)
        # `flexgw dev` reaps its broker itself: no zombie left behind in the process table.
        _wait_for(lambda: not Path(f"/proc/{broker_pid}").exists(), 10, "the broker reaped")
        assert dev.poll() is None

        dev.send_signal(signal.SIGTERM)
        assert dev.wait(timeout=60) == 0, (tmp_path / "dev.log").read_text()
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()
        log.close()
        LocalKafka(
            home=data / "kafka", cache=Path.home() / ".cache" / "flexgw", port=kafka_port
        ).down()


@pytest.mark.kafka
def test_tail_shows_the_newest_records_last_by_default(kafka: LocalKafka) -> None:
    topic = f"test.tail.{uuid.uuid4().hex[:12]}"

    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        try:
            # Keys spread the records over the partitions: "newest" is across all of them.
            for n, key in enumerate([b"a", b"b", b"c"], start=1):
                await producer.send_and_wait(topic, json.dumps({"n": n}).encode(), key=key)
                await asyncio.sleep(0.01)  # distinct timestamps (milliseconds)
        finally:
            await producer.stop()

    asyncio.run(publish())
    records = asyncio.run(read_topic(kafka.bootstrap, topic)).records
    assert len({r.partition for r in records}) > 1  # the merge is exercised

    def tail(*args: str) -> list[int]:
        result = runner.invoke(
            app, ["kafka", "tail", "--topic", topic, "--bootstrap", kafka.bootstrap, *args]
        )
        assert result.exit_code == 0, result.output
        return [json.loads(line)["value"]["n"] for line in result.stdout.splitlines()]

    assert tail("--limit", "1") == [3]
    assert tail("--limit", "2") == [2, 3]
    assert tail() == [1, 2, 3]  # fewer than the default limit: all of them, oldest first
    assert sorted(tail("--from-beginning", "--limit", "3")) == [1, 2, 3]


def _documented_tool_lines() -> dict[str, list[str]]:
    """The `flexgw kafka tools` lines of docs/operations.md, by tool name."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()
    lines = [x for x in doc.splitlines() if x.startswith(".venv/bin/flexgw kafka tools ")]
    commands = {shlex.split(x)[3]: shlex.split(x)[4:] for x in lines}
    assert len(lines) == len(commands) == 3, lines
    return commands


@pytest.mark.kafka
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_kafkas_own_tools_run_the_documented_commands(
    make_gateway: GatewayFactory, kafka: LocalKafka
) -> None:
    async with make_gateway(kafka=kafka) as gw:
        response = await gw.post(candidate_enrolled(bsn="111222333"))
        assert response.status_code == 202, response.text
        [message_id] = response.json()["message_ids"]
        await gw.wait_drained()
        [record] = (await read_topic(kafka.bootstrap, gw.topic)).records

    group = f"test-group-{uuid.uuid4().hex[:8]}"
    ours = {"127.0.0.1:9092": kafka.bootstrap, "flextensie.placements.v1": gw.topic}
    ours["backoffice-dev"] = group
    documented = {
        name: [ours.get(arg, arg) for arg in args]
        for name, args in _documented_tool_lines().items()
    }

    def tool(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*FLEXGW, "kafka", "tools", name, *documented.get(name, []), *extra],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def consume(timeout_ms: int) -> list[str]:
        # The documented line runs until Ctrl-C; here it stops after the one record there is.
        done = tool(
            "kafka-console-consumer", "--max-messages", "1", "--timeout-ms", str(timeout_ms)
        )
        assert "Processed a total of" in done.stderr, done.stderr
        return [x for x in done.stdout.splitlines() if x.strip()]

    [line] = await asyncio.to_thread(consume, 60000)
    headers_text, key, value = line.split("\t")
    headers = dict(h.split(":", 1) for h in headers_text.split(","))
    assert headers["ce_id"] == message_id
    assert headers["ce_type"] == "nl.flextensie.candidate.enrolled.v1"
    assert headers == headers_of(record)
    assert key == record.key.decode()
    assert json.loads(value) == json.loads(record.value)

    described = await asyncio.to_thread(tool, "kafka-topics")
    assert described.returncode == 0, described.stderr
    assert f"Topic: {gw.topic}" in described.stdout
    assert f"PartitionCount: {kafka.partitions}" in described.stdout

    # The group has read the record: nothing more for it until it is reset to the start.
    assert await asyncio.to_thread(consume, 5000) == []
    reset = await asyncio.to_thread(tool, "kafka-consumer-groups")
    assert reset.returncode == 0, reset.stderr
    assert group in reset.stdout
    assert await asyncio.to_thread(consume, 60000) == [line]

    unknown = await asyncio.to_thread(tool, "kafka-nonsense")
    assert unknown.returncode == 2
    assert "kafka-console-consumer" in unknown.stderr
