"""The dead-letter contract without a broker: which message a report names, which reports are
stale or ignored, what is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from gateway.ops.dlq import apply_dead_letters, parse_dead_letter
from gateway.store.tables import message_events, messages
from tests.conftest import GatewayFactory
from tests.samples import candidate_enrolled


@dataclass(frozen=True)
class Applied:
    by_id: str
    by_offset: str
    queued: str
    changed: int
    rows: dict[str, Any]
    failed_events: list[tuple[str, str, str]]


@pytest.fixture(scope="module")
async def applied(module_gateway: GatewayFactory) -> Applied:
    async with module_gateway(relay=False) as gw:
        sent = await gw.post(
            [
                candidate_enrolled("111222333"),
                candidate_enrolled("123456782"),
                candidate_enrolled("111222333"),
            ]
        )
        by_id, by_offset, queued = sent.json()["message_ids"]
        async with gw.ctx.store.write() as conn:
            for offset, message_id in enumerate([by_id, by_offset]):
                await conn.execute(
                    update(messages)
                    .where(messages.c.id == message_id)
                    .values(state="published", kafka_partition=0, kafka_offset=10 + offset)
                )
        letters = [
            parse_dead_letter(
                [
                    ("ce_id", by_id.encode()),
                    ("__connect.errors.exception.class.name", b"org.example.SchemaError"),
                    ("__connect.errors.exception.message", b"bad record for 111222333"),
                ]
            ),
            # Kafka Connect without the original headers: topic/partition/offset name it.
            parse_dead_letter(
                [
                    ("__connect.errors.topic", gw.topic.encode()),
                    ("__connect.errors.partition", b"0"),
                    ("__connect.errors.offset", b"11"),
                    ("__connect.errors.stage", b"VALUE_CONVERTER"),
                ]
            ),
            # About an older publication of a message published again since: stale.
            parse_dead_letter(
                [
                    ("ce_id", by_id.encode()),
                    ("__connect.errors.partition", b"0"),
                    ("__connect.errors.offset", b"3"),
                ]
            ),
            # A queued message (being replayed) is not failed by a report.
            parse_dead_letter([("ce_id", queued.encode())]),
            parse_dead_letter([("ce_id", b"no-such-message")]),
            parse_dead_letter([]),
        ]
        async with gw.ctx.store.write() as conn:
            changed = await apply_dead_letters(conn, letters, at=datetime.now(UTC))
        async with gw.ctx.store.read() as conn:
            rows = {r.id: r for r in await conn.execute(select(messages))}
            failed_events = [
                (str(m), str(a), str(c))
                for m, a, c in (
                    await conn.execute(
                        select(
                            message_events.c.message_id,
                            message_events.c.actor,
                            message_events.c.code,
                        ).where(message_events.c.state == "failed")
                    )
                ).all()
            ]
    return Applied(by_id, by_offset, queued, changed, rows, failed_events)


def test_only_reports_about_the_current_publication_fail_a_message(applied: Applied) -> None:
    assert applied.changed == 2


def test_a_report_by_ce_id_fails_the_message_with_the_reason_masked(applied: Applied) -> None:
    row = applied.rows[applied.by_id]
    assert row.state == "failed"
    assert row.error_code == "back-office:SchemaError"
    assert row.error_message == "bad record for ******333"


def test_a_report_by_topic_partition_offset_fails_the_message(applied: Applied) -> None:
    row = applied.rows[applied.by_offset]
    assert row.state == "failed"
    assert row.error_code == "back-office:rejected"


def test_a_report_about_a_queued_message_changes_nothing(applied: Applied) -> None:
    assert applied.rows[applied.queued].state == "queued"


def test_each_failure_is_recorded_with_the_back_office_as_actor(applied: Applied) -> None:
    assert sorted(applied.failed_events) == sorted(
        [
            (applied.by_id, "back-office", "back-office:SchemaError"),
            (applied.by_offset, "back-office (VALUE_CONVERTER)", "back-office:rejected"),
        ]
    )
