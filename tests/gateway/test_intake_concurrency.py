"""Concurrent submissions share transactions (group commit) without mixing up answers."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from gateway.store.tables import inbound
from tests.conftest import GatewayFactory
from tests.samples import bsn_list, candidate_enrolled


async def test_concurrent_distinct_submissions_are_all_stored(make_gateway: GatewayFactory) -> None:
    people = bsn_list(60)
    async with make_gateway() as gw:
        answers = await asyncio.gather(*(gw.post(candidate_enrolled(bsn=b)) for b in people))
        stored = await gw.count()
    assert [a.status_code for a in answers] == [202] * 60
    ids = [a.json()["message_ids"][0] for a in answers]
    assert len(set(ids)) == 60
    assert stored == 60


async def test_racing_identical_submissions_get_one_answer(make_gateway: GatewayFactory) -> None:
    body = candidate_enrolled()
    async with make_gateway() as gw:
        answers = await asyncio.gather(
            *(gw.post(body, **{"Idempotency-Key": "same"}) for _ in range(12)),
            *(gw.post(candidate_enrolled(bsn=b)) for b in bsn_list(12, start=30_000_000)),
        )
        stored = await gw.count()
        async with gw.ctx.store.read() as conn:
            accepted = await conn.scalar(
                select(func.count()).select_from(inbound).where(inbound.c.state == "accepted")
            )
    same = answers[:12]
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["inbound_id"] for a in same}) == 1
    assert stored == 13
    assert accepted == 13
