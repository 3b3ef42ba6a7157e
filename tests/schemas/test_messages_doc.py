"""docs/messages.md is generated from the models and its examples are valid submissions."""

from __future__ import annotations

import json

import orjson
import pytest

from adapters.canonical_json import CanonicalJsonAdapter
from schemas.document import DOC_PATH, EXAMPLES_DIR, render
from schemas.envelope import CloudEvent
from schemas.registry import EVENT_CLASSES, full_type, type_key


def test_messages_doc_is_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/messages.md is stale: run `python -m schemas.document`"
    )


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=type_key)
def test_every_type_has_a_valid_example(cls: type[CloudEvent]) -> None:
    payload = (EXAMPLES_DIR / f"{type_key(cls)}.json").read_bytes()
    [draft] = CanonicalJsonAdapter().translate(payload, sender="docs")
    assert draft.event is cls
    assert json.loads(payload)["type"] == full_type(cls)
    assert orjson.loads(draft.data.model_dump_json())  # serialises
