"""Issue 9, StUF: every change a municipality sends reaches the outbox exactly, or its inbound
row says "nothing to publish: <reason>" in the ops history, or it is refused with a fault that
names what cannot be carried. One test per case of the issue, through the real SOAP endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select

from gateway.intake import Submission
from gateway.store.tables import message_events, messages
from tests import stuf_messages as m
from tests.stuf_server import StufServer, body_element, stuf_server

V = m.V
DOC = Path(__file__).resolve().parents[3] / "docs" / "stuf.md"


async def outbox(server: StufServer) -> list[tuple[str, dict[str, Any]]]:
    async with server.store.read() as conn:
        rows = await conn.execute(
            select(messages.c.type, messages.c.value).order_by(messages.c.seq)
        )
        return [(r.type, json.loads(bytes(r.value))) for r in rows]


async def history_of(server: StufServer, ref: str) -> list[tuple[str, str | None, str | None]]:
    rows = [r for r in await server.inbound_rows() if r.external_ref == ref]
    assert len(rows) == 1, f"{ref}: {len(rows)} inbound rows"
    async with server.store.read() as conn:
        events = await conn.execute(
            select(message_events.c.state, message_events.c.code, message_events.c.detail)
            .where(message_events.c.inbound_id == rows[0].id)
            .order_by(message_events.c.seq)
        )
        return [(e.state, e.code, e.detail) for e in events]


def accepted(server: StufServer, xml: str) -> None:
    response = server.post(m.soap(xml))
    assert response.status_code == 200, response.text
    assert body_element(response.content, "Bv03Bericht") is not None


def enrol(server: StufServer) -> None:
    accepted(server, m.kandidaat_lk01("ENROL-1"))


async def test_two_soap_bodies_are_a_client_fault(store_url: str, tmp_path: Path) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        one = m.kandidaat_lk01("TWO-1")
        two = m.kandidaat_lk01("TWO-2", m.kandidaat(bsn="123456782"))
        envelope = (
            f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{m.SOAP11}">'
            f"<soap:Body>{one}</soap:Body><soap:Body>{two}</soap:Body></soap:Envelope>"
        ).encode()
        response = server.post(envelope)
        assert response.status_code == 500
        fault = etree.fromstring(response.content)
        assert fault.findtext(".//faultcode") == "soap:Client"
        assert "exactly one Body" in body_element(response.content, "details").text  # type: ignore[operator]
        # two message elements in one Body: the same
        both = m.soap(one + two)
        response = server.post(both)
        assert response.status_code == 500
        assert "exactly one StUF message element" in response.text
        assert await server.count_messages() == 0
        assert {r.state for r in await server.inbound_rows()} == {"rejected"}


async def test_nps_of_a_non_candidate_is_recorded_as_nothing_to_publish(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        nps = m.nps_lk01(
            "NC-1", m.persoon(bsn="123456782"), m.persoon(bsn="123456782", geslachtsnaam="Jansen")
        )
        accepted(server, nps)
        assert await server.count_messages() == 0
        [(state, code, detail)] = await history_of(server, "NC-1")
        assert (state, code) == ("accepted", "nothing-to-publish")
        assert detail is not None and "not a known candidate" in detail


async def test_a_w_without_a_real_change_is_recorded_as_nothing_to_publish(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        accepted(server, m.kandidaat_lk01("SAME-1", m.kandidaat(), m.kandidaat(), mutatiesoort="W"))
        [(state, code, detail)] = await history_of(server, "SAME-1")
        assert (state, code) == ("accepted", "nothing-to-publish")
        assert detail is not None and detail.startswith("nothing to publish: old and new agree")


async def test_nps_clears_email_makes_birth_date_unknown_and_keeps_the_bag_id(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        enrol(server)
        old = m.persoon(
            **{"sub.emailadres": "jan@example.org"},
        )
        new = m.persoon(
            geslachtsnaam=None,
            voorvoegselGeslachtsnaam=None,
            voorletters=None,
            voornamen=None,
            geboortedatum=V(no_value="waardeOnbekend"),
            verblijfsadres=[
                ("aoa.identificatie", "0599200000654321"),
                ("wpl.woonplaatsNaam", "Rotterdam"),
                ("gor.straatnaam", "Coolsingel"),
                ("aoa.postcode", "3011AD"),
                ("aoa.huisnummer", "40"),
            ],
            **{"sub.emailadres": V(no_value="geenWaarde")},  # type: ignore[arg-type]
        )
        accepted(server, m.nps_lk01("NPS-1", old, new))
        [(kind, data)] = [o for o in await outbox(server) if o[0] != "candidate.enrolled"]
        assert kind == "person.changed.v2"
        assert data["email"] == {"state": "cleared", "old": "jan@example.org"}
        assert data["birth_date"] == {"state": "unknown", "old": "1990-04-17"}
        assert data["address"]["new"]["bag_id"] == "0599200000654321"
        assert set(data) == {"bsn", "municipality", "kind", "email", "birth_date", "address"}


async def test_nps_surname_cleared_or_unknown_is_carried(store_url: str, tmp_path: Path) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        enrol(server)
        for ref, value in (
            ("SUR-1", V(no_value="geenWaarde")),
            ("SUR-2", V(no_value="waardeOnbekend")),
        ):
            accepted(server, m.nps_lk01(ref, m.persoon(), m.persoon(geslachtsnaam=value)))
        changes = [d for t, d in await outbox(server) if t == "person.changed.v2"]
        assert [c["surname"] for c in changes] == [
            {"state": "cleared", "old": "Vries"},
            {"state": "unknown", "old": "Vries"},
        ]


async def test_nps_t_of_a_candidate_publishes_a_snapshot(store_url: str, tmp_path: Path) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        enrol(server)
        snapshot = m.message(
            "npsLk01",
            "NPS",
            [m.persoon(overlijdensdatum=V(no_value="geenWaarde"))],
            ref="SNAP-1",
            prefix="BG",
            namespace=m.BG,
        )
        accepted(server, snapshot)
        [data] = [d for t, d in await outbox(server) if t == "person.changed.v2"]
        assert data["kind"] == "snapshot"
        assert data["surname"] == {"state": "set", "new": "Vries"}
        assert data["date_of_death"] == {"state": "cleared"}
        assert data["address"]["new"]["street"] == "Dorpsstraat"


async def test_clearing_only_the_email_of_a_candidate_leaves_the_phone_alone(
    store_url: str, tmp_path: Path
) -> None:
    async with stuf_server(store_url, tmp_path / "data") as server:
        enrol(server)
        only = {k: None for k in ("geslachtsnaam", "voorvoegselGeslachtsnaam", "voorletters")}
        new = m.kandidaat(
            **only,  # type: ignore[arg-type]
            voornamen=None,
            geboortedatum=None,
            verblijfsadres=None,
            iban=None,
            datumAanmelding=None,
            dossiernummer=None,
            emailadres=V(no_value="geenWaarde"),
        )
        accepted(server, m.kandidaat_lk01("MAIL-1", m.kandidaat(), new, mutatiesoort="W"))
        [data] = [d for t, d in await outbox(server) if t == "candidate.changed.v2"]
        assert data["email"] == {"state": "cleared", "old": "jan@example.org"}
        assert "phone" not in data and "contact" not in data and "cleared" not in data


def _doc_examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    found = {}
    for title, xml in re.findall(r"### (\w+Lk01 \w)\n```xml\n(.*?)```", text, flags=re.S):
        found[title] = xml
    return found


async def test_every_kennisgeving_example_in_the_docs_passes_the_whole_path(
    store_url: str, tmp_path: Path
) -> None:
    examples = _doc_examples()
    assert len(examples) >= 9, sorted(examples)
    # Withdrawals last, so the person is still a candidate when the npsLk01 example arrives.
    order = sorted(examples, key=lambda t: (t.endswith(" V"), list(examples).index(t)))
    async with stuf_server(store_url, tmp_path / "data") as server:
        for title in order:
            response = server.post(m.soap(examples[title]))
            assert response.status_code == 200, f"{title}: {response.text[:2000]}"
        rows = await server.inbound_rows()
        assert len(rows) == len(examples) and {r.state for r in rows} == {"accepted"}
        published = {t for t, _ in await outbox(server)}
        assert {"candidate.enrolled", "candidate.changed.v2", "person.changed.v2"} <= published
        assert {"benefit.status-changed", "placement.started", "placement.changed"} <= published
        assert {"candidate.withdrawn", "placement.ended"} <= published
        async with server.store.read() as conn:
            silent = await conn.scalar(
                select(message_events.c.inbound_id).where(
                    message_events.c.code == "nothing-to-publish"
                )
            )
        assert silent is None  # every documented example publishes what it describes


async def test_the_intake_records_why_any_accepted_input_publishes_nothing(make_gateway) -> None:  # type: ignore[no-untyped-def]
    """The rule holds for every channel: an input accepted without drafts gets the history
    entry even when its channel gives no reason."""
    async with make_gateway() as gw:
        receipt = await gw.ctx.intake.accept(
            Submission(
                sender="gemeente-amsterdam",
                channel="test",
                content_type="application/json",
                payload=b"{}",
            ),
            [],
        )
        async with gw.ctx.store.read() as conn:
            [(code, detail)] = (
                await conn.execute(
                    select(message_events.c.code, message_events.c.detail).where(
                        message_events.c.inbound_id == receipt.inbound_id
                    )
                )
            ).all()
    assert receipt.message_ids == []
    assert (code, detail) == (
        "nothing-to-publish",
        "nothing to publish: the input yields no canonical message",
    )
