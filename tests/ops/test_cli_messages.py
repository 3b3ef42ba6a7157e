"""``flexgw messages list|show|replay|hold|release`` against a running gateway (real port)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from gateway.app import build_context, create_app
from gateway.localkafka import LocalKafka
from gateway.settings import Settings
from gateway.store import Store
from gateway.store.tables import messages
from tests.conftest import PERSON_KEY_SECRET, TEST_KEYS, make_test_clients
from tests.kafka_reader import headers_of, read_topic
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


async def test_messages_cli_lists_shows_replays_with_progress_holds_and_releases(
    store_url: str, tmp_path: Path, kafka: LocalKafka
) -> None:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
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

    assert listed.returncode == 0, listed.output
    header = listed.stdout.splitlines()[0].split()
    assert header == ["SEQ", "ID", "CREATED", "SENDER", "TYPE", "STATE", "ERROR", "TRIES"]
    assert len(listed.stdout.splitlines()) == 26
    assert "25 shown of 25" in listed.stderr
    page = json.loads(listed_json.stdout)
    assert [m["id"] for m in page["items"]] == list(reversed(ids))[:10]
    assert page["next_before"] is not None
    assert shown.returncode == 0, shown.output
    assert "kafka-rejected" in shown.stdout and "for ******333" in shown.stdout
    assert "111222333" not in shown.stdout
    assert '"bsn": "******333"' in shown.stdout
    assert refused.returncode == 1 and "HTTP 403" in refused.stderr
    assert no_reason.returncode == 1 and "--reason is required" in no_reason.stderr
    assert dry.returncode == 0 and "republish: 25 message(s) match" in dry.stderr
    assert replayed.returncode == 0, replayed.output
    assert "replaying" in replayed.stderr and "25/25" in replayed.stderr  # the progress bar
    assert "done: published 25" in replayed.stdout
    assert held.returncode == 0 and "held now: 0" in held.stdout  # published: key held only
    assert released.returncode == 0 and "released hold" in released.stdout
    assert sorted(headers_of(r)["ce_id"] for r in records) == sorted(ids)
    assert [e["action"] for e in audit["items"]] == ["release", "hold", "replay"]
