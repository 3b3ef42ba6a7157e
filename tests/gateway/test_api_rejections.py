"""Issue 2 acceptance 5 and the other refusals of POST /v1/messages (no Kafka needed)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.store.tables import inbound
from tests.conftest import GatewayFactory
from tests.samples import candidate_enrolled, placement_started


async def test_unknown_or_missing_key_is_401(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as gw:
        unknown = await gw.client.post(
            "/v1/messages", json=candidate_enrolled(), headers={"Authorization": "Bearer nope"}
        )
        missing = await gw.client.post("/v1/messages", json=candidate_enrolled())
    assert unknown.status_code == missing.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.headers["www-authenticate"].startswith("Bearer")


async def test_submitting_for_another_municipality_or_agency_is_403(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as gw:
        other_city = await gw.post(candidate_enrolled(municipality="0599"))
        other_agency = await gw.post(
            placement_started(kvk="87654321"), as_client="flexwerk-uitzend"
        )
        city_sends_placement = await gw.post(placement_started())
        ops_sends = await gw.post(candidate_enrolled(), as_client="ops-admin")
        own = await gw.post(candidate_enrolled(municipality="0599"), as_client="gemeente-rotterdam")
        queued = await gw.count()
        async with gw.ctx.store.read() as conn:
            states = [
                r[0]
                for r in await conn.execute(select(inbound.c.state).order_by(inbound.c.received_at))
            ]
    assert [r.status_code for r in (other_city, other_agency, city_sends_placement, ops_sends)] == [
        403
    ] * 4
    assert other_city.json()["code"] == "forbidden"
    assert own.status_code == 202
    assert queued == 1
    # Refused payloads are kept (raw, for ops), as rejected.
    assert states.count("rejected") == 4 and states.count("accepted") == 1


async def test_wrong_media_type_and_oversized_body(make_gateway: GatewayFactory) -> None:
    async with make_gateway(max_body_bytes=2048) as gw:
        as_text = await gw.client.post(
            "/v1/messages",
            content=b"{}",
            headers={
                "Authorization": "Bearer key-gemeente-amsterdam-xxxxxxxxxxxxxxxx",
                "Content-Type": "text/plain",
            },
        )
        too_big = await gw.post([candidate_enrolled()] * 20)
    assert as_text.status_code == 415
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "payload-too-large"


async def test_bad_idempotency_key_header_is_422(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as gw:
        response = await gw.post(candidate_enrolled(), **{"Idempotency-Key": "x" * 300})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/header/idempotency-key"


async def test_unknown_route_is_problem_json(make_gateway: GatewayFactory) -> None:
    async with make_gateway() as gw:
        response = await gw.client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
