"""Holds: a held person key holds its later messages until released; then they go out in
their original order. Other people's messages keep flowing meanwhile."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from gateway.localkafka import LocalKafka
from gateway.store.tables import messages
from tests.kafka_reader import headers_of, read_topic
from tests.ops.helpers import assert_histories_follow_transitions, eventually, ops_get, ops_post
from tests.samples import candidate_enrolled, placement_started

pytestmark = pytest.mark.kafka


async def test_held_key_holds_later_messages_until_released_in_order(
    make_gateway, kafka: LocalKafka
) -> None:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    common = {"default_topic": topic, "dlq_topic": f"{topic}.dlq"}
    async with make_gateway(relay=False, **common) as gw:
        first = (await gw.post(candidate_enrolled("111222333"))).json()["message_ids"][0]
        hold = (
            await ops_post(
                gw, "/holds", {"message_id": first, "reason": "wrong person?"}, expect=201
            )
        ).json()
        later = (
            await gw.post(placement_started("111222333"), as_client="flexwerk-uitzend")
        ).json()["message_ids"][0]
        by_bsn = (
            await ops_post(gw, "/holds", {"bsn": "111222333", "reason": "again"}, expect=201)
        ).json()

    async with make_gateway(kafka=kafka, **common) as gw:
        other = (await gw.post(candidate_enrolled("123456782"))).json()["message_ids"][0]
        await eventually(lambda: gw.count("published"))
        await asyncio.sleep(1.0)  # several relay rounds
        async with gw.ctx.store.read() as conn:
            states = dict((await conn.execute(select(messages.c.id, messages.c.state))).all())
        holds = await ops_get(gw, "/holds")
        while_held = await read_topic(kafka.bootstrap, topic)
        released = (
            await ops_post(gw, f"/messages/{later}/release", {"reason": "confirmed"}, expect=200)
        ).json()

        async def all_published() -> bool:
            return await gw.count("published") == 3

        await eventually(all_published)
        after = await read_topic(kafka.bootstrap, topic)
        transitions = await assert_histories_follow_transitions(gw.ctx.store)

    assert hold["changed"] == [first] and hold["created"] is True
    assert by_bsn["hold_id"] == hold["hold_id"] and by_bsn["created"] is False
    assert states == {first: "held", later: "queued", other: "published"}
    assert [h["id"] for h in holds["items"]] == [hold["hold_id"]]
    assert [headers_of(r)["ce_id"] for r in while_held] == [other]
    assert released["changed"] == [first]
    in_order = [
        headers_of(r)["ce_id"]
        for r in sorted(after, key=lambda r: r.offset)
        if r.key == next(x.key for x in after if headers_of(x)["ce_id"] == first)
    ]
    assert in_order == [first, later]
    assert transitions > 0
