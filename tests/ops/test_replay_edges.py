"""Replay edges: cancelling a job; a re-translation that still fails is recorded per message and
leaves the old message as it was; held and queued messages are not replayed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from adapters.registry import load_adapters
from gateway.intake import Submission
from gateway.ops.audit import Actor
from gateway.ops.replay.jobs import cancel_job, create_job
from gateway.ops.replay.model import ReplayKind, Selection
from gateway.store.tables import messages
from tests.conftest import GatewayFactory, Harness
from tests.ops.helpers import ops_get, ops_post, wait_job
from tests.ops.profile_adapter import CSV, Profile, ProfileCsvAdapter
from tests.samples import candidate_enrolled
from tests.waiting import eventually

ADMIN = Actor("ops-admin", "ops-admin")


async def _fail(gw: Harness, ids: list[str]) -> None:
    async with gw.ctx.store.write() as conn:
        await conn.execute(
            update(messages)
            .where(messages.c.id.in_(ids))
            .values(state="failed", error_code="kafka-rejected", error_message="x")
        )


async def test_cancelled_job_puts_nothing_back_and_ends_cancelled(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(relay=False) as gw:
        ids = (await gw.post([candidate_enrolled(), candidate_enrolled("123456782")])).json()[
            "message_ids"
        ]
        await _fail(gw, ids)
        # Created and cancelled in one transaction: the runner never sees it running.
        async with gw.ctx.store.write() as conn:
            job = await create_job(
                conn,
                kind=ReplayKind.REPUBLISH,
                selection=Selection(message_ids=ids),
                reason="test",
                actor=ADMIN,
                at=datetime.now(UTC),
            )
            cancelled = await cancel_job(
                conn, job.id, actor=ADMIN, reason="wrong filter", at=datetime.now(UTC)
            )
        final = await wait_job(gw, job.id, timeout=30)
        states = {m["id"]: m["state"] for m in (await ops_get(gw, "/messages"))["items"]}
        audit = [e["action"] for e in (await ops_get(gw, "/audit"))["items"]]

    assert cancelled == 2
    assert final["state"] == "cancelled"
    assert final["counts"] == {"cancelled": 2}
    assert set(states.values()) == {"failed"}
    assert audit == ["cancel", "replay"]


async def test_failing_retranslation_is_an_item_error_and_old_message_stays(
    make_gateway: GatewayFactory,
) -> None:
    profile = Profile(rate_column="tarief")
    adapter = ProfileCsvAdapter(profile)
    async with make_gateway(relay=False, adapters={**load_adapters(), adapter.name: adapter}) as gw:
        receipt = await gw.ctx.intake.submit(
            Submission(
                sender="flexwerk-uitzend",
                channel="upload",
                content_type="text/csv",
                payload=CSV,
                adapter=adapter.name,
            ),
            translate=lambda payload: adapter.translate(payload, sender="flexwerk-uitzend"),
        )
        await _fail(gw, receipt.message_ids)
        profile.rate_column = "opdracht"  # a broken "fix": 'A-1' is no amount
        selection = {"message_ids": receipt.message_ids}
        plan = (
            await ops_post(gw, "/replays/plan", {"kind": "retranslate", **selection}, expect=200)
        ).json()
        started = await ops_post(
            gw,
            "/replays",
            {"kind": "retranslate", "reason": "try", "up_to_seq": plan["max_seq"], **selection},
            expect=202,
        )
        job = await wait_job(gw, started.json()["id"], timeout=30)
        items = (await ops_get(gw, f"/replays/{job['id']}/items"))["items"]
        async with gw.ctx.store.read() as conn:
            states = set(await conn.scalars(select(messages.c.state)))
            count = len((await conn.execute(select(messages.c.id))).all())

    assert [d["error"] is not None for d in plan["diffs"]] == [True, True]
    assert "row 2" in plan["diffs"][0]["error"]
    assert job["counts"] == {"error": 2}
    assert all(i["outcome"] == "error" and "row 2" in i["detail"] for i in items)
    assert states == {"failed"} and count == 2


async def test_held_and_queued_messages_are_not_replayed(make_gateway: GatewayFactory) -> None:
    async with make_gateway(relay=False) as gw:
        ids = (await gw.post([candidate_enrolled(), candidate_enrolled("123456782")])).json()[
            "message_ids"
        ]
        await _fail(gw, ids[:1])
        await ops_post(gw, "/holds", {"message_id": ids[0], "reason": "check"}, expect=201)
        plan = (
            await ops_post(
                gw, "/replays/plan", {"kind": "republish", "message_ids": ids}, expect=200
            )
        ).json()
        started = await ops_post(
            gw,
            "/replays",
            {"kind": "republish", "reason": "retry", "message_ids": ids, "up_to_seq": 10**9},
            expect=202,
        )

        async def done() -> bool:
            state: str = (await ops_get(gw, f"/replays/{started.json()['id']}"))["state"]
            return state == "done"

        await eventually(done)

    assert plan["total"] == 0
    assert plan["not_eligible"] == 2
    assert started.json()["total"] == 0
