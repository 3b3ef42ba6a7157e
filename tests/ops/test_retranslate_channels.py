"""Issue 9 item 7: ops re-translate a stored payload through its owning channel with all the
channel's rules, with the real StUF and canonical-JSON adapters: what the channel refuses for
zender, ontvanger, soapAction or a reused referentienummer (StUF), or for data of another
sender (REST), stays refused; a payload refused by a fault since fixed is accepted with the
channel's idempotency key, so the sender's re-send is a repeat."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from lxml import etree

from adapters.base import Issue, TranslationError
from adapters.stuf.translate import canonical_bytes
from gateway.errors import InvalidMessage
from gateway.intake import Submission
from tests import stuf_messages as m
from tests.conftest import TEST_KEYS, GatewayFactory, Harness
from tests.ops.helpers import ops_get, ops_post

SOAP = "/stuf/v1/flextensie"


async def soap(gw: Harness, xml: str, *, action: str | None = None) -> Any:
    headers = {
        "Authorization": f"Bearer {TEST_KEYS['gemeente-amsterdam']}",
        "Content-Type": "text/xml; charset=utf-8",
    }
    if action is not None:
        headers["SOAPAction"] = f'"{action}"'
    return await gw.client.post(SOAP, content=m.soap(xml), headers=headers)


async def rejected_id(gw: Harness, ref: str) -> str:
    items = (await ops_get(gw, "/inbound", state="rejected", limit=100))["items"]
    [row] = [
        i
        for i in items
        if (await ops_get(gw, f"/inbound/{i['id']}"))["inbound"]["external_ref"] == ref
    ]
    return str(row["id"])


async def plan(gw: Harness, inbound_id: str) -> dict[str, Any]:
    response = await ops_post(gw, f"/inbound/{inbound_id}/retranslate/plan", {}, expect=200)
    return dict(response.json())


async def test_stuf_channel_rules_hold_for_retranslation(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as gw:
        assert (
            await soap(gw, m.kandidaat_lk01("R-ZENDER", zender=("0599", "X")))
        ).status_code == 500
        elsewhere = m.kandidaat_lk01("R-ONTV", ontvanger=("Elders", "ANDERSYS"))
        assert (await soap(gw, elsewhere)).status_code == 500
        wrong_action = f"{m.FX}/uitkeringLk01"
        assert (
            await soap(gw, m.kandidaat_lk01("R-ACTION"), action=wrong_action)
        ).status_code == 500
        assert (await soap(gw, m.kandidaat_lk01("R-REF"))).status_code == 200
        reused = m.kandidaat_lk01("R-REF", m.kandidaat(geslachtsnaam="Anders"))
        assert (await soap(gw, reused)).status_code == 500

        plans = {
            ref: await plan(gw, await rejected_id(gw, ref))
            for ref in ("R-ZENDER", "R-ONTV", "R-ACTION", "R-REF")
        }
        forced = await ops_post(
            gw, f"/inbound/{await rejected_id(gw, 'R-ZENDER')}/retranslate", {"reason": "push"}
        )
        messages = await gw.count()

    assert all(p["translates"] is False for p in plans.values()), plans
    assert "zender" in plans["R-ZENDER"]["error"]
    assert "ontvanger" in plans["R-ONTV"]["error"]
    assert "soapAction" in plans["R-ACTION"]["error"]
    assert "R-REF" in plans["R-REF"]["error"] and "accepted before" in plans["R-REF"]["error"]
    assert forced.status_code == 422
    assert messages == 1  # only the one accepted kandidaatLk01


async def test_a_stuf_message_refused_by_an_old_fault_is_accepted_with_its_referentienummer(
    make_gateway: GatewayFactory,
) -> None:
    xml = m.kandidaat_lk01("R-FIXED")
    payload = canonical_bytes(etree.fromstring(xml.encode()))
    async with make_gateway() as gw:
        # As an earlier gateway stored it when its mapping refused the message.
        with pytest.raises(InvalidMessage):
            await gw.ctx.intake.submit(
                Submission(
                    sender="gemeente-amsterdam",
                    channel="stuf-soap",
                    content_type="application/xml",
                    payload=payload,
                    adapter="stuf",
                    external_ref="R-FIXED",
                ),
                translate=_refuse,
            )
        inbound_id = await rejected_id(gw, "R-FIXED")
        shown = await plan(gw, inbound_id)
        accepted = await ops_post(
            gw, f"/inbound/{inbound_id}/retranslate", {"reason": "mapping fixed"}, expect=200
        )
        resent = await soap(gw, xml)
        messages = await gw.count()

    assert shown["translates"] is True
    assert [x["type"] for x in shown["messages"]] == ["candidate.enrolled"]
    assert resent.status_code == 200 and inbound_id.encode() in resent.content  # the same Bv03
    assert accepted.json()["message_ids"] and messages == 1


def _refuse(_payload: bytes) -> list[Any]:
    raise TranslationError([Issue("/", "invalid-message", "an old mapping bug")])


async def test_canonical_json_retranslation_keeps_the_ownership_rule(
    make_gateway: GatewayFactory,
) -> None:
    foreign = {
        "type": "nl.flextensie.candidate.withdrawn.v1",
        "data": {"bsn": "111222333", "municipality": "0599", "withdrawn_on": "2027-01-01"},
    }
    async with make_gateway() as gw:
        response = await gw.client.post(
            "/v1/messages",
            content=orjson.dumps(foreign),
            headers={
                "Authorization": f"Bearer {TEST_KEYS['gemeente-amsterdam']}",
                "Content-Type": "application/json",
            },
        )
        [row] = (await ops_get(gw, "/inbound", state="rejected"))["items"]
        shown = await plan(gw, row["id"])
        forced = await ops_post(gw, f"/inbound/{row['id']}/retranslate", {"reason": "push"})
        messages = await gw.count()

    assert response.status_code == 403
    assert shown["translates"] is False and "0363" in shown["error"]
    assert forced.status_code == 422 and messages == 0
