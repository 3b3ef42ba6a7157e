"""Renders docs/messages.md from the models, the published JSON Schemas and the examples in
docs/examples/. Run ``python -m schemas.document``; a test fails while the committed file
differs, so the reference never drifts from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from schemas.registry import EVENT_CLASSES, data_model, dataschema_uri, full_type, type_key

__all__ = ["DOC_PATH", "EXAMPLES_DIR", "render"]

ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = ROOT / "docs" / "messages.md"
EXAMPLES_DIR = ROOT / "docs" / "examples"

_INTRO = (Path(__file__).parent / "document_intro.md").read_text(encoding="utf-8")


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return f"object `{prop['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in prop:
        kinds = [_type_of(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(kinds)
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = str(prop.get("type", "any"))
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    if "format" in prop:
        return f"{kind} ({prop['format']})"
    if "pattern" in prop:
        return f"{kind} `{prop['pattern']}`"
    return kind


def _table(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    lines = ["| field | type | required |", "|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        lines.append(f"| `{name}` | {_type_of(prop, defs)} | {'yes' if name in required else ''} |")
    return lines


def render() -> str:
    parts = [_INTRO]
    for cls in EVENT_CLASSES:
        schema = data_model(cls).model_json_schema(mode="serialization")
        defs = schema.get("$defs", {})
        key = type_key(cls)
        example = (EXAMPLES_DIR / f"{key}.json").read_text(encoding="utf-8").strip()
        parts.append(f"\n## `{key}`\n")
        doc = (data_model(cls).__doc__ or "").strip()
        if doc:
            parts.append(doc + "\n")
        parts.append(
            f"CloudEvents type `{full_type(cls)}`, schema [`schemas/json/{cls.short_type}"
            f".v{cls.version}.json`](../schemas/json/{cls.short_type}.v{cls.version}.json) "
            f"(`{dataschema_uri(cls)}`).\n"
        )
        parts.extend(_table(schema, defs))
        for def_name, definition in defs.items():
            parts.append(f"\n`{def_name}`:\n")
            parts.extend(_table(definition, defs))
        parts.append(f"\nExample submission (`docs/examples/{key}.json`):\n")
        parts.append("```json\n" + example + "\n```")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    DOC_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC_PATH}\n")
