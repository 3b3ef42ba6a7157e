"""``flexgw messages list|show|replay|hold|release`` against a running gateway (real port)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.settings import Settings
from gateway.store import Store
from gateway.store.tables import messages
from tests.conftest import PERSON_KEY_SECRET, TEST_KEYS, make_test_clients
from tests.kafka_reader import TopicRead, read_topic
from tests.live import serve_in_thread
from tests.samples import placement_started

pytestmark = pytest.mark.kafka
FLEXGW = str(Path(sys.executable).with_name("flexgw"))


def flexgw(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as an operator runs it (its own process, its own output)."""
    return subprocess.run(
        [FLEXGW, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("FLEXGW_")},
    )


ADMIN = ["--key", TEST_KEYS["ops-admin"]]
VIEWER = ["--key", TEST_KEYS["ops-viewer"]]


async def _fail_all(url: str) -> None:
    store = Store(url)
    try:
        async with store.write() as conn:
            await conn.execute(
                update(messages).values(
                    state="failed", error_code="kafka-rejected", error_message="for 111222333"
                )
            )
    finally:
        await store.dispose()


@dataclass(frozen=True)
class CliRun:
    ids: list[str]
    listed: subprocess.CompletedProcess[str]
    listed_json: subprocess.CompletedProcess[str]
    shown: subprocess.CompletedProcess[str]
    refused: subprocess.CompletedProcess[str]
    no_reason: subprocess.CompletedProcess[str]
    dry: subprocess.CompletedProcess[str]
    replayed: subprocess.CompletedProcess[str]
    held: subprocess.CompletedProcess[str]
    released: subprocess.CompletedProcess[str]
    audit: dict[str, Any]
    records: TopicRead


def _output(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
async def cli(
    module_store_url: str, tmp_path_factory: pytest.TempPathFactory, kafka: LocalKafka
) -> CliRun:
    store_url = module_store_url
    topic = f"test.{uuid.uuid4().hex[:12]}"
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("cli") / "data",
        database_url=store_url,
        person_key_secret=PERSON_KEY_SECRET,
        kafka_bootstrap_servers=kafka.bootstrap,
        default_topic=topic,
        dlq_topic=f"{topic}.dlq",
        relay_enabled=False,
        relay_poll_seconds=0.1,
    )
    with serve_in_thread(
        create_app(settings, context=build_context(settings, clients=make_test_clients()))
    ) as url:
        sent = httpx.post(
            f"{url}/v1/messages",
            json=[placement_started(assignment=f"A-{i}") for i in range(25)],
            headers={"Authorization": f"Bearer {TEST_KEYS['flexwerk-uitzend']}"},
        )
        assert sent.status_code == 202, sent.text
        ids = sent.json()["message_ids"]
    await _fail_all(store_url)

    relaying = settings.model_copy(update={"relay_enabled": True})
    context = build_context(relaying, clients=make_test_clients())
    with serve_in_thread(create_app(relaying, context=context)) as url:
        server = ["--url", url]
        listed = flexgw(*["messages", "list", "--state", "failed", *server, *VIEWER])
        listed_json = flexgw(
            *["messages", "list", "--state", "failed", "--limit", "10", "--json", *server, *VIEWER],
        )
        shown = flexgw(*["messages", "show", ids[0], *server, *VIEWER])
        refused = flexgw(
            *[
                "messages",
                "replay",
                "--state",
                "failed",
                "--reason",
                "x",
                "--yes",
                *server,
                *VIEWER,
            ],
        )
        no_reason = flexgw(*["messages", "replay", "--state", "failed", "--yes", *server, *ADMIN])
        dry = flexgw(
            *["messages", "replay", "--error-code", "kafka-rejected", "--dry-run", *server, *ADMIN],
        )
        replayed = flexgw(
            *[
                "messages",
                "replay",
                "--error-code",
                "kafka-rejected",
                "--reason",
                "ACL fixed",
                "--yes",
                *server,
                *ADMIN,
            ],
        )
        held = flexgw(*["messages", "hold", ids[3], "--reason", "check person", *server, *ADMIN])
        released = flexgw(*["messages", "release", ids[3], "--reason", "checked", *server, *ADMIN])
        audit = httpx.get(
            f"{url}/v1/ops/audit", headers={"Authorization": f"Bearer {TEST_KEYS['ops-viewer']}"}
        ).json()
    records = await read_topic(kafka.bootstrap, topic)
    return CliRun(
        ids=ids,
        listed=listed,
        listed_json=listed_json,
        shown=shown,
        refused=refused,
        no_reason=no_reason,
        dry=dry,
        replayed=replayed,
        held=held,
        released=released,
        audit=audit,
        records=records,
    )


def test_list_prints_a_table_of_the_matching_messages(cli: CliRun) -> None:
    assert cli.listed.returncode == 0, _output(cli.listed)
    header = cli.listed.stdout.splitlines()[0].split()
    assert header == ["SEQ", "ID", "CREATED", "SENDER", "TYPE", "STATE", "ERROR", "TRIES"]
    assert len(cli.listed.stdout.splitlines()) == 26
    assert "25 shown of 25" in cli.listed.stderr


def test_list_as_json_pages_newest_first(cli: CliRun) -> None:
    page = json.loads(cli.listed_json.stdout)
    assert [m["id"] for m in page["items"]] == list(reversed(cli.ids))[:10]
    assert page["next_before"] is not None


def test_show_prints_the_error_and_the_message_with_bsns_masked(cli: CliRun) -> None:
    assert cli.shown.returncode == 0, _output(cli.shown)
    assert "kafka-rejected" in cli.shown.stdout and "for ******333" in cli.shown.stdout
    assert "111222333" not in cli.shown.stdout
    assert '"bsn": "******333"' in cli.shown.stdout


def test_replay_as_a_viewer_is_refused(cli: CliRun) -> None:
    assert cli.refused.returncode == 1 and "HTTP 403" in cli.refused.stderr


def test_replay_needs_a_reason(cli: CliRun) -> None:
    assert cli.no_reason.returncode == 1 and "--reason is required" in cli.no_reason.stderr


def test_replay_dry_run_shows_the_plan(cli: CliRun) -> None:
    assert cli.dry.returncode == 0 and "republish: 25 message(s) match" in cli.dry.stderr


def test_replay_shows_progress_and_the_outcome(cli: CliRun) -> None:
    assert cli.replayed.returncode == 0, _output(cli.replayed)
    assert "replaying" in cli.replayed.stderr and "25/25" in cli.replayed.stderr
    assert "done: published 25" in cli.replayed.stdout


def test_hold_and_release_report_what_they_did(cli: CliRun) -> None:
    assert cli.held.returncode == 0 and "held now: 0" in cli.held.stdout  # published: key held
    assert cli.released.returncode == 0 and "released hold" in cli.released.stdout


def test_the_replay_publishes_each_message_once(cli: CliRun) -> None:
    assert sorted(cli.records.ce_ids()) == sorted(cli.ids)
    assert cli.records.end_total == 25


def test_cli_actions_are_audited(cli: CliRun) -> None:
    assert [e["action"] for e in cli.audit["items"]] == ["release", "hold", "replay"]
