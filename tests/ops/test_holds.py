"""Holds: a held person key holds its later messages until released; then they go out in
their original order. Other people's messages keep flowing meanwhile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from gateway.localkafka import LocalKafka
from gateway.store.tables import messages
from tests.conftest import GatewayFactory
from tests.kafka_reader import TopicRead, headers_of, read_topic
from tests.ops.helpers import check_histories, message_histories, ops_get, ops_post
from tests.samples import candidate_enrolled, placement_started
from tests.waiting import eventually

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class Held:
    first: str
    later: str
    other: str
    markers: list[str]
    hold: dict[str, Any]
    by_bsn: dict[str, Any]
    states: dict[str, str]
    holds: dict[str, Any]
    while_held: TopicRead
    released: dict[str, Any]
    after: TopicRead
    histories: list[tuple[str, str]]


@pytest.fixture(scope="module")
async def held(module_gateway: GatewayFactory, kafka: LocalKafka) -> Held:
    topic = f"test.{uuid.uuid4().hex[:12]}"
    common = {"default_topic": topic, "dlq_topic": f"{topic}.dlq"}
    async with module_gateway(relay=False, **common) as gw:
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

    async with module_gateway(kafka=kafka, **common) as gw:
        other = (await gw.post(candidate_enrolled("123456782"))).json()["message_ids"][0]
        await eventually(lambda: gw.count("published"), what="a first message published")
        # Two relay rounds that publish a later message each: the relay has passed the held
        # key's messages at least twice and left them.
        markers = [await gw.publish_marker(), await gw.publish_marker()]
        async with gw.ctx.store.read() as conn:
            states = dict((await conn.execute(select(messages.c.id, messages.c.state))).all())
        holds = await ops_get(gw, "/holds")
        while_held = await read_topic(kafka.bootstrap, topic)
        released = (
            await ops_post(gw, f"/messages/{later}/release", {"reason": "confirmed"}, expect=200)
        ).json()

        async def all_published() -> bool:
            return await gw.count("published") == 5

        await eventually(all_published)
        after = await read_topic(kafka.bootstrap, topic)
        histories = await message_histories(gw.ctx.store)
    return Held(
        first=first,
        later=later,
        other=other,
        markers=markers,
        hold=hold,
        by_bsn=by_bsn,
        states=states,
        holds=holds,
        while_held=while_held,
        released=released,
        after=after,
        histories=histories,
    )


def test_holding_a_message_holds_it(held: Held) -> None:
    assert held.hold["changed"] == [held.first] and held.hold["created"] is True


def test_holding_the_same_person_again_is_the_same_hold(held: Held) -> None:
    assert held.by_bsn["hold_id"] == held.hold["hold_id"] and held.by_bsn["created"] is False


def test_later_messages_of_a_held_person_wait_while_others_flow(held: Held) -> None:
    assert {k: v for k, v in held.states.items() if k not in held.markers} == {
        held.first: "held",
        held.later: "queued",
        held.other: "published",
    }
    assert [held.states[m] for m in held.markers] == ["published", "published"]


def test_the_hold_is_listed(held: Held) -> None:
    assert [h["id"] for h in held.holds["items"]] == [held.hold["hold_id"]]


def test_nothing_of_a_held_person_is_on_kafka_while_held(held: Held) -> None:
    assert sorted(held.while_held.ce_ids()) == sorted([held.other, *held.markers])


def test_releasing_a_later_message_releases_the_whole_hold(held: Held) -> None:
    assert held.released["changed"] == [held.first]


def test_released_messages_go_out_in_their_original_order(held: Held) -> None:
    records = held.after.records
    key = next(r.key for r in records if headers_of(r)["ce_id"] == held.first)
    in_order = [
        headers_of(r)["ce_id"] for r in sorted(records, key=lambda r: r.offset) if r.key == key
    ]
    assert in_order == [held.first, held.later]


def test_histories_follow_the_transition_table(held: Held) -> None:
    assert check_histories(held.histories) > 0
