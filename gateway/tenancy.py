"""Tenancy: a sender acts only on its own candidates and names only parties it is linked to
(docs/security.md). One check, called by the intake for every channel that stores messages
(REST canonical JSON, StUF push, batch files and pull alike), before anything is stored.

The rules, and why (DOMAIN.md):

* A municipality is responsible for the candidates it enrolled. A change about a candidate
  (``candidate.changed``, ``candidate.withdrawn``, ``person.changed``,
  ``benefit.status_changed``) from another municipality is refused, and so is a second
  enrolment while the first stands: a person who moves is withdrawn by the old municipality
  and enrolled by the new one. A candidate the gateway has never seen enrolled is not refused
  here (a ``person.changed`` about one is ignored by the StUF channel as before).
* A municipality places candidates through the staffing agencies it contracts with: they are
  listed per municipality client (``agencies = ["<KvK>", ...]`` in clients.toml). A
  municipality's placement message naming another agency is refused, and an agency's
  placement message naming a municipality that does not list it is refused.

Agencies' uploads (CSV, SETU) carry the uploading agency's own KvK; the upload processor
asks :func:`unlinked_municipality` of every placement row that names a municipality.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import structlog
from sqlalchemy import select

from adapters.base import Draft
from gateway.auth import Client, ClientLookup
from gateway.errors import Forbidden
from gateway.events import EventFactory
from gateway.store import Store
from gateway.store.tables import messages

__all__ = ["CandidateOfAnother", "PartyNotLinked", "Tenancy", "linked", "unlinked_municipality"]

log = structlog.get_logger(__name__)

#: Messages that change what the gateway knows of an enrolled candidate.
CANDIDATE_CHANGES = frozenset(
    {"candidate.changed", "candidate.withdrawn", "person.changed", "benefit.status_changed"}
)
PLACEMENTS = frozenset({"placement.started", "placement.changed", "placement.ended"})
_ENROLMENT = ("candidate.enrolled", "candidate.withdrawn")


def linked(clients: ClientLookup, *, agency_kvk: str | None, municipality: str | None) -> bool:
    """An agency and a municipality are linked when the municipality's client entry lists the
    agency's KvK (``agencies``)."""
    return (
        agency_kvk is not None
        and municipality is not None
        and agency_kvk in clients.agencies_of(municipality)
    )


def unlinked_municipality(clients: ClientLookup, agency_kvk: str, draft: Draft) -> str | None:
    """Why an agency's placement message may not name its municipality (None: it may)."""
    if draft.event.short_type not in PLACEMENTS:
        return None
    municipality = getattr(draft.data, "municipality", None)
    if municipality is None or linked(clients, agency_kvk=agency_kvk, municipality=municipality):
        return None
    return (
        f"municipality {municipality} does not work with this agency in the gateway's client "
        "configuration; leave the municipality out or ask the Flextensie back office to link "
        "the two"
    )


class CandidateOfAnother(Forbidden):
    code = "candidate-of-another-municipality"


class PartyNotLinked(Forbidden):
    code = "party-not-linked"


class Tenancy:
    def __init__(self, *, clients: ClientLookup, store: Store, events: EventFactory) -> None:
        self._clients = clients
        self._store = store
        self._events = events

    async def check(self, sender: str, drafts: Sequence[Draft]) -> None:
        """Raises :class:`CandidateOfAnother` or :class:`PartyNotLinked` (403; StUF052)."""
        client = self._clients.get(sender)
        if client is None or client.role not in ("municipality", "agency"):
            return  # the channel's own authentication and ownership checks refuse these
        # Enrolments earlier in the same payload count as if stored.
        responsible: dict[str, str | None] = {}
        for draft in drafts:
            short = draft.event.short_type
            if short in PLACEMENTS:
                self._check_parties(client, draft)
            elif client.role == "municipality" and (
                short in CANDIDATE_CHANGES or short == "candidate.enrolled"
            ):
                bsn: str = draft.data.bsn  # type: ignore[attr-defined]
                if bsn not in responsible:
                    responsible[bsn] = await self._enrolled_by(bsn)
                owner = responsible[bsn]
                if owner is not None and owner != client.gemeentecode:
                    self._refuse(client, short)
                if short == "candidate.enrolled":
                    responsible[bsn] = client.gemeentecode
                elif short == "candidate.withdrawn":
                    responsible[bsn] = None

    def _check_parties(self, client: Client, draft: Draft) -> None:
        agency = getattr(draft.data, "agency_kvk", None)
        if client.role == "municipality" and not linked(
            self._clients, agency_kvk=agency, municipality=client.gemeentecode
        ):
            log.info("tenancy_refused", sender=client.id, rule="agency-not-linked")
            raise PartyNotLinked(
                f"{draft.origin}/agency_kvk: agency {agency} is not one this municipality "
                "works with; the agencies of a municipality are listed in the gateway's "
                "client configuration (ask the Flextensie back office to add it)",
                pointer=f"{draft.origin}/agency_kvk",
            )
        reason = (
            unlinked_municipality(self._clients, client.kvk or "", draft)
            if client.role == "agency"
            else None
        )
        if reason is not None:
            log.info("tenancy_refused", sender=client.id, rule="municipality-not-linked")
            raise PartyNotLinked(
                f"{draft.origin}/municipality: {reason}", pointer=f"{draft.origin}/municipality"
            )

    def _refuse(self, client: Client, short: str) -> None:
        # Neither the BSN nor the other municipality is named: not this sender's data.
        log.info("tenancy_refused", sender=client.id, rule="candidate-of-another", type=short)
        raise CandidateOfAnother(
            f"{short}: this candidate is enrolled by another municipality; a municipality "
            "sends changes only about the candidates it enrolled (a person who moved is "
            "withdrawn by the former municipality before the new one enrols them)"
        )

    async def _enrolled_by(self, bsn: str) -> str | None:
        """The municipality whose enrolment of this person stands (None: none stands)."""
        key = self._events.person_key(bsn)
        async with self._store.read() as conn:
            found = (
                await conn.execute(
                    select(messages.c.type, messages.c.value)
                    .where(messages.c.key == key, messages.c.type.in_(_ENROLMENT))
                    .order_by(messages.c.seq.desc())
                    .limit(1)
                )
            ).first()
        if found is None or found.type != "candidate.enrolled":
            return None
        municipality = orjson.loads(found.value).get("municipality")
        return municipality if isinstance(municipality, str) else None
