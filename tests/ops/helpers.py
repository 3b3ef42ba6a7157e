"""Small helpers of the ops tests: ops API calls, waiting, a back office writing to the DLQ."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from tests.conftest import TEST_KEYS, Harness
from tests.waiting import eventually


def auth(client_id: str = "ops-admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_KEYS[client_id]}"}


async def ops_get(gw: Harness, path: str, *, as_client: str = "ops-viewer", **params: Any) -> Any:
    response = await gw.client.get(
        f"/v1/ops{path}",
        params={k: v for k, v in params.items() if v is not None},
        headers=auth(as_client),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def ops_post(
    gw: Harness, path: str, body: Any, *, as_client: str = "ops-admin", expect: int | None = None
) -> Any:
    response = await gw.client.post(f"/v1/ops{path}", json=body, headers=auth(as_client))
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def wait_job(gw: Harness, job_id: str, *, timeout: float = 120.0) -> dict[str, Any]:
    async def finished() -> dict[str, Any] | None:
        job = await ops_get(gw, f"/replays/{job_id}")
        return job if job["state"] in ("done", "cancelled") else None

    result: dict[str, Any] = await eventually(finished, timeout=timeout, interval=0.2)
    return result


async def report_on_dlq(
    bootstrap: str, topic: str, headers: dict[str, str], value: bytes = b"{}"
) -> None:
    """What the back office (or its Kafka Connect sink) does with a record it cannot process."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value=value, headers=[(k, v.encode()) for k, v in headers.items()]
        )
    finally:
        await producer.stop()


async def message_histories(store: Any) -> list[tuple[str, str]]:
    """Every message's recorded states, (message id, state), in the order they were written."""
    from sqlalchemy import select

    from gateway.store.tables import message_events

    async with store.read() as conn:
        rows = (
            await conn.execute(
                select(message_events.c.message_id, message_events.c.state)
                .where(message_events.c.message_id.is_not(None))
                .order_by(message_events.c.seq)
            )
        ).all()
    return [(str(message_id), str(state)) for message_id, state in rows]


def check_histories(rows: list[tuple[str, str]]) -> int:
    """Every message's recorded history moves only along the table in gateway/states.py.
    A message starts queued: its creation is that first entry (senders' messages have no
    event for it, see docs/operations.md). Returns how many transitions were checked."""
    from gateway.states import MessageState, can_move

    last: dict[str, str] = {}
    checked = 0
    for message_id, state in rows:
        before = last.get(message_id)
        if before is None and state == MessageState.QUEUED:
            last[message_id] = state
            continue
        before = before or MessageState.QUEUED
        assert can_move(before, MessageState(state)), (message_id, before, state)
        checked += 1
        last[message_id] = state
    return checked


async def assert_histories_follow_transitions(store: Any) -> int:
    """``check_histories`` on the store's histories now."""
    return check_histories(await message_histories(store))
