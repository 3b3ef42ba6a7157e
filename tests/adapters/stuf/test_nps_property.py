"""Issue 9 acceptance 1 (property): for generated StUF-BG npsLk01 W, C and T messages over every
person field the gateway carries, each field at random absent, unchanged, set, modified,
cleared or unknown, valid against the official StUF-BG 03.10 schema, the Kafka record value the
gateway builds is exactly the generated change set: nothing else, nothing missing."""

from __future__ import annotations

import functools
import json
import operator
from dataclasses import dataclass
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.stuf import adapter
from adapters.stuf.mapping.nps import ATTRS
from tests import stuf_messages as m
from tests.adapters.stuf.official import assert_valid, official_bg0310

V = m.V
BSN = "111222333"

_letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
_dates = st.dates(min_value=date(1940, 1, 1), max_value=date(2026, 11, 30))


@dataclass(frozen=True)
class Kind:
    element: str
    values: st.SearchStrategy[Any]


def _address() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "bag_id": st.from_regex(r"\A[0-9]{16}\Z"),
            "city": _letters.map(str.title),
            "street": _letters.map(str.title),
            "postcode": st.from_regex(r"\A[1-9][0-9]{3}[A-Z]{2}\Z"),
            "house_number": st.integers(min_value=1, max_value=9999),
            "since": _dates,
        }
    )


KINDS = {
    "surname": Kind("geslachtsnaam", _letters.map(str.title)),
    "surname_prefix": Kind("voorvoegselGeslachtsnaam", st.sampled_from(["de", "van", "ter"])),
    "initials": Kind("voorletters", st.from_regex(r"\A([A-Z]\.){1,4}\Z")),
    "given_names": Kind("voornamen", _letters.map(str.title)),
    "birth_date": Kind("geboortedatum", _dates),
    "date_of_death": Kind("overlijdensdatum", _dates),
    "address": Kind("verblijfsadres", _address()),
    "phone": Kind("sub.telefoonnummer", st.from_regex(r"\A0[0-9]{9}\Z")),
    "email": Kind("sub.emailadres", _letters.map(lambda s: f"{s}@example.org")),
}
STATES = ("absent", "unchanged", "set", "modified", "cleared", "unknown")


def test_the_generator_covers_every_carried_field() -> None:
    assert [(a.name, a.element) for a in ATTRS] == [(n, k.element) for n, k in KINDS.items()]


def _xml_value(name: str, value: Any) -> str | V | list[Any]:
    if name == "address":
        return [
            ("aoa.identificatie", value["bag_id"]),
            ("wpl.woonplaatsNaam", value["city"]),
            ("gor.straatnaam", value["street"]),
            ("aoa.postcode", value["postcode"]),
            ("aoa.huisnummer", str(value["house_number"])),
            ("begindatumVerblijf", value["since"].strftime("%Y%m%d")),
        ]
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


def _no_value(name: str, reason: str) -> str | V | list[Any]:
    if name == "address":  # a group has no noValue: empty is cleared, unknown children unknown
        if reason == "geenWaarde":
            return []
        return [("aoa.postcode", V(no_value="waardeOnbekend"))]
    return V(no_value=reason)


def _json(name: str, value: Any) -> Any:
    if name == "address":
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in value.items()}
    return value.isoformat() if isinstance(value, date) else value


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[list[Any]], dict[str, Any]]:
    """(mutatiesoort, objects, the change set expected on Kafka)."""
    mutatiesoort = draw(st.sampled_from(["W", "C", "T"]))
    old: list[Any] = [("inp.bsn", BSN)]
    new: list[Any] = [("inp.bsn", BSN)]
    expected: dict[str, Any] = {}
    for name, kind in KINDS.items():
        states = STATES if mutatiesoort != "T" else ("absent", "set", "cleared", "unknown")
        state = draw(st.sampled_from(states))
        a = draw(kind.values)
        b = draw(kind.values.filter(functools.partial(operator.ne, a)))
        with_old = mutatiesoort != "T" and draw(st.booleans())
        if state == "unchanged":
            old.append((kind.element, _xml_value(name, a)))
            new.append((kind.element, _xml_value(name, a)))
        elif state == "set":
            new.append((kind.element, _xml_value(name, b)))
            expected[name] = {"state": "set", "new": _json(name, b)}
        elif state == "modified":
            old.append((kind.element, _xml_value(name, a)))
            new.append((kind.element, _xml_value(name, b)))
            expected[name] = {"state": "modified", "old": _json(name, a), "new": _json(name, b)}
        elif state in ("cleared", "unknown"):
            reason = "geenWaarde" if state == "cleared" else "waardeOnbekend"
            if with_old:
                old.append((kind.element, _xml_value(name, a)))
            new.append((kind.element, _no_value(name, reason)))
            expected[name] = {"state": state} | ({"old": _json(name, a)} if with_old else {})
    objects = [old, new] if mutatiesoort != "T" else [new]
    return mutatiesoort, objects, expected


def nps_message(mutatiesoort: str, objects: list[list[Any]], ref: str) -> str:
    return m.message(
        "npsLk01",
        "NPS",
        objects,
        ref=ref,
        mutatiesoort=mutatiesoort,
        prefix="BG",
        namespace=m.BG,
    )


def kafka_value(mutatiesoort: str, expected: dict[str, Any], bsn: str = BSN) -> dict[str, Any]:
    """The record value the generated change set must become."""
    kind = {"T": "snapshot", "W": "change"}.get(mutatiesoort, "correction")
    return {"bsn": bsn, "municipality": "0363", "kind": kind} | expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_what_reaches_kafka_is_exactly_the_generated_change_set(
    scenario: tuple[str, list[list[Any]], dict[str, Any]],
) -> None:
    mutatiesoort, objects, expected = scenario
    element = etree.fromstring(nps_message(mutatiesoort, objects, "PROP-1").encode())
    assert_valid(official_bg0310(), element)
    mapped = adapter.map(adapter.read(element), municipality="0363")
    if not expected:
        assert mapped.drafts == [] and mapped.nothing and mapped.nothing.startswith("nothing")
        return
    [draft] = mapped.drafts
    # The Kafka record value, built as gateway/events.py builds it.
    value = json.loads(draft.data.model_dump_json(exclude_none=True))
    assert value == kafka_value(mutatiesoort, expected)
