"""The dead-letter contract without a broker: which message a report names, which reports are
stale or ignored, what is recorded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from gateway.ops.dlq import apply_dead_letters, parse_dead_letter
from gateway.store.tables import message_events, messages
from tests.samples import candidate_enrolled


async def test_reports_by_id_or_offset_stale_and_unpublished_ones_ignored(make_gateway) -> None:
    async with make_gateway(relay=False) as gw:
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
            failed_events = (
                await conn.execute(
                    select(
                        message_events.c.message_id, message_events.c.actor, message_events.c.code
                    ).where(message_events.c.state == "failed")
                )
            ).all()

    assert changed == 2
    assert rows[by_id].state == "failed"
    assert rows[by_id].error_code == "back-office:SchemaError"
    assert rows[by_id].error_message == "bad record for ******333"
    assert rows[by_offset].state == "failed"
    assert rows[by_offset].error_code == "back-office:rejected"
    assert rows[queued].state == "queued"
    assert sorted(failed_events) == sorted(
        [
            (by_id, "back-office", "back-office:SchemaError"),
            (by_offset, "back-office (VALUE_CONVERTER)", "back-office:rejected"),
        ]
    )
