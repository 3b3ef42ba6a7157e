"""The committed JSON Schemas are what the models produce; a stale file fails here."""

from __future__ import annotations

import json

import jsonschema

from schemas.export import JSON_DIR, render_all


def test_committed_json_schemas_are_current() -> None:
    expected = render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in JSON_DIR.glob("*.json")}
    stale = sorted(name for name in expected if committed.get(name) != expected[name])
    extra = sorted(set(committed) - set(expected))
    assert not stale and not extra, (
        f"stale: {stale}, not produced by any model: {extra}; run `python -m schemas.export`"
    )


def test_every_schema_is_valid_json_schema() -> None:
    for path in JSON_DIR.glob("*.json"):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
