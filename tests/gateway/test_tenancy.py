"""Tenancy (issue 11, acceptance 3; docs/security.md): a municipality changes only the
candidates it enrolled, and names only the agencies it is linked to; an agency names only the
municipalities linked to it. One check (gateway.tenancy), on every channel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from gateway.store.tables import inbound, messages
from tests import stuf_messages as m
from tests.conftest import GatewayFactory, Harness
from tests.samples import candidate_enrolled, placement_started
from tests.stuf_server import body_element, stuf_server

NS = {"StUF": m.STUF}


def candidate_changed(bsn: str, municipality: str) -> dict[str, Any]:
    return {
        "type": "nl.flextensie.candidate.changed.v1",
        "data": {
            "bsn": bsn,
            "municipality": municipality,
            "birth_date": "1990-04-18",
        },
    }


def withdrawn(bsn: str, municipality: str) -> dict[str, Any]:
    return {
        "type": "nl.flextensie.candidate.withdrawn.v1",
        "data": {"bsn": bsn, "municipality": municipality, "withdrawn_on": "2026-12-02"},
    }


async def _count(gw: Harness, sender: str) -> int:
    async with gw.ctx.store.read() as conn:
        found = await conn.scalar(
            select(func.count()).select_from(messages).where(messages.c.sender == sender)
        )
    return int(found or 0)


async def test_a_municipality_changes_only_the_candidates_it_enrolled(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway(relay=False) as gw:
        enrolled = await gw.post(candidate_enrolled("111222333", "0363"))
        change = await gw.post(
            candidate_changed("111222333", "0599"), as_client="gemeente-rotterdam"
        )
        enrol_again = await gw.post(
            candidate_enrolled("111222333", "0599"), as_client="gemeente-rotterdam"
        )
        rotterdam_before = await _count(gw, "gemeente-rotterdam")
        own_change = await gw.post(candidate_changed("111222333", "0363"))
        # A person who moves: the former municipality withdraws, the new one enrols.
        left = await gw.post(withdrawn("111222333", "0363"))
        moved = await gw.post(
            candidate_enrolled("111222333", "0599"), as_client="gemeente-rotterdam"
        )
        # Inside one payload an enrolment counts for the messages after it.
        together = await gw.post(
            [candidate_enrolled("123456782", "0363"), candidate_changed("123456782", "0363")]
        )
        async with gw.ctx.store.read() as conn:
            refused = (
                await conn.execute(
                    select(inbound.c.error_code).where(inbound.c.state == "rejected")
                )
            ).all()

    assert enrolled.status_code == 202
    for answer in (change, enrol_again):
        assert answer.status_code == 403, answer.text
        problem = answer.json()
        assert problem["type"].endswith("candidate-of-another-municipality")
        assert "enrolled by another municipality" in problem["detail"]
        assert "111222333" not in answer.text and "0363" not in answer.text
    assert rotterdam_before == 0  # nothing stored for publication
    assert [r.error_code for r in refused] == ["candidate-of-another-municipality"] * 2
    assert own_change.status_code == 202
    assert left.status_code == 202 and moved.status_code == 202, moved.text
    assert together.status_code == 202, together.text


async def test_placements_name_only_linked_parties(make_gateway: GatewayFactory) -> None:
    async with make_gateway(relay=False) as gw:
        ours = placement_started(kvk="12345678") | {}
        ours["data"] = ours["data"] | {"municipality": "0363"}
        linked = await gw.post(ours)
        stranger = placement_started(kvk="99999999", assignment="A-2")
        stranger["data"] = stranger["data"] | {"municipality": "0363"}
        unlinked = await gw.post(stranger)
        # andere-uitzend (87654321) works for Amsterdam, not for Rotterdam.
        for_rotterdam = placement_started(kvk="87654321", assignment="A-3")
        for_rotterdam["data"] = for_rotterdam["data"] | {"municipality": "0599"}
        agency_unlinked = await gw.post(for_rotterdam, as_client="andere-uitzend")
        for_amsterdam = placement_started(kvk="87654321", assignment="A-4")
        for_amsterdam["data"] = for_amsterdam["data"] | {"municipality": "0363"}
        agency_linked = await gw.post(for_amsterdam, as_client="andere-uitzend")
        no_municipality = await gw.post(
            placement_started(kvk="87654321", assignment="A-5"), as_client="andere-uitzend"
        )

    assert linked.status_code == 202, linked.text
    assert unlinked.status_code == 403
    assert unlinked.json()["type"].endswith("party-not-linked")
    assert "99999999" in unlinked.json()["detail"]
    assert agency_unlinked.status_code == 403
    assert agency_unlinked.json()["type"].endswith("party-not-linked")
    assert agency_linked.status_code == 202, agency_linked.text
    assert no_municipality.status_code == 202, no_municipality.text


async def test_nps_from_another_municipality_is_refused_with_a_stuf_fault(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        enrol = server.post(m.soap(m.kandidaat_lk01("K-1", m.kandidaat(bsn="111222333"))))
        assert enrol.status_code == 200, enrol.text
        before = await server.count_messages()
        nps = m.nps_lk01(
            "N-1",
            m.persoon(bsn="111222333"),
            m.persoon(bsn="111222333", geslachtsnaam="Jansen"),
            zender=("0599", "SOCIAAL-DOMEIN"),
        )
        response = server.post(m.soap(nps), client_id="gemeente-rotterdam")
        own = server.post(
            m.soap(
                m.nps_lk01(
                    "N-2",
                    m.persoon(bsn="111222333"),
                    m.persoon(bsn="111222333", geslachtsnaam="Jansen"),
                )
            )
        )
        after_own = await server.count_messages()
        rows = await server.inbound_rows()

    assert response.status_code == 500, response.text
    fault = body_element(response.content, "Fo03Bericht")
    assert fault.findtext("StUF:body/StUF:code", namespaces=NS) == "StUF052"
    details = fault.findtext("StUF:body/StUF:details", namespaces=NS) or ""
    assert "enrolled by another municipality" in details
    assert "111222333" not in response.text
    assert own.status_code == 200 and etree.fromstring(own.content) is not None
    assert after_own == before + 1  # only Amsterdam's own change became a message
    kept = [r for r in rows if r.sender == "gemeente-rotterdam"]
    assert [(r.state, r.error_code) for r in kept] == [
        ("rejected", "candidate-of-another-municipality")
    ]
