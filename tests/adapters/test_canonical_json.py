from __future__ import annotations

import orjson
import pytest

from adapters.base import TranslationError
from adapters.canonical_json import CanonicalJsonAdapter
from adapters.registry import DuplicateAdapterError, build_registry, load_adapters
from schemas import CandidateEnrolled
from tests.samples import candidate_enrolled


def issues_of(payload: bytes) -> set[tuple[str, str]]:
    with pytest.raises(TranslationError) as info:
        CanonicalJsonAdapter().translate(payload, sender="s")
    return {(i.where, i.code) for i in info.value.issues}


def test_single_message_and_array() -> None:
    adapter = CanonicalJsonAdapter()
    [one] = adapter.translate(orjson.dumps(candidate_enrolled()), sender="s")
    assert one.event is CandidateEnrolled
    assert one.origin == "#"
    many = adapter.translate(orjson.dumps([candidate_enrolled()] * 3), sender="s")
    assert [d.origin for d in many] == ["#/0", "#/1", "#/2"]


def test_event_time_is_kept_when_given() -> None:
    body = candidate_enrolled() | {"time": "2026-11-27T09:30:00+01:00"}
    [draft] = CanonicalJsonAdapter().translate(orjson.dumps(body), sender="s")
    assert draft.occurred_at is not None and draft.occurred_at.utcoffset() is not None


def test_every_problem_is_listed_with_a_pointer() -> None:
    assert issues_of(b"{not json") == {("#", "malformed_json")}
    assert issues_of(b"[]") == {("#", "empty")}
    assert issues_of(b"[1]") == {("#/0", "not_an_object")}
    extra = candidate_enrolled() | {"id": "mine", "time": "yesterday"}
    found = issues_of(orjson.dumps(extra))
    assert ("#/id", "extra_forbidden") in found
    assert any(where == "#/time" for where, _ in found)
    assert issues_of(orjson.dumps({"type": "x"})) == {
        ("#/type", "unknown_type"),
        ("#/data", "missing"),
    }


def test_too_many_messages() -> None:
    adapter = CanonicalJsonAdapter(max_messages=2)
    with pytest.raises(TranslationError) as info:
        adapter.translate(orjson.dumps([candidate_enrolled()] * 3), sender="s")
    assert info.value.code == "too-many-messages"


def test_registry_finds_installed_adapters_and_rejects_duplicates() -> None:
    registry = load_adapters()
    assert "canonical-json" in registry
    with pytest.raises(DuplicateAdapterError):
        build_registry([CanonicalJsonAdapter(), CanonicalJsonAdapter()])
    with pytest.raises(TypeError):
        # Not an adapter on purpose: the registry refuses it at run time too.
        build_registry([object()])  # type: ignore[list-item]
