"""docs/delivery.md: "the raw payload and its canonical messages are stored in one transaction".
The second write is made to fail for real: a trigger in the store refuses the insert into
``messages``, after the inbound row was written in the same transaction. Neither may remain."""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import func, select, text

from gateway.store.tables import inbound, messages
from tests.conftest import TEST_KEYS, GatewayFactory
from tests.samples import placement_started

_SQLITE_TRIGGER = """
CREATE TRIGGER refuse_messages BEFORE INSERT ON messages
BEGIN SELECT RAISE(ABORT, 'messages refused by the test'); END
"""
_PG_FUNCTION = """
CREATE FUNCTION refuse_messages() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'messages refused by the test'; END $$
"""
_PG_TRIGGER = """
CREATE TRIGGER refuse_messages BEFORE INSERT ON messages
FOR EACH ROW EXECUTE FUNCTION refuse_messages()
"""


async def test_a_failing_messages_insert_leaves_no_inbound_row_and_no_message(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(relay=False) as gw:
        # The trigger really works: the first accepted payload is stored, the next is not.
        first = await gw.post(placement_started(assignment="before"), as_client="flexwerk-uitzend")
        assert first.status_code == 202, first.text
        async with gw.ctx.store.write() as conn:
            if conn.dialect.name == "sqlite":
                await conn.execute(text(_SQLITE_TRIGGER))
            else:
                await conn.execute(text(_PG_FUNCTION))
                await conn.execute(text(_PG_TRIGGER))

        # What the sender sees: the app's answer, not the exception the test client re-raises.
        transport = httpx.ASGITransport(app=gw.extras["app"], raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as sender:
            response = await sender.post(
                "/v1/messages",
                content=orjson.dumps(placement_started(assignment="refused")),
                headers={
                    "Authorization": f"Bearer {TEST_KEYS['flexwerk-uitzend']}",
                    "Content-Type": "application/json",
                },
            )
        assert response.status_code >= 500, response.text

        async with gw.ctx.store.read() as conn:
            accepted = await conn.scalar(
                select(func.count()).select_from(inbound).where(inbound.c.state == "accepted")
            )
            stored = await conn.scalar(select(func.count()).select_from(messages))
    # The first payload and its one message only: the refused one left no accepted row
    # behind its failed messages (a row kept for ops would be ``rejected``, not accepted).
    assert (accepted, stored) == (1, 1)
