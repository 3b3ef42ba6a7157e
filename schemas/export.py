"""Writes the JSON Schema of every message type's ``data`` (the Kafka record value).

Run ``python -m schemas.export`` after changing a model; a test fails while the committed
files differ from what the models produce.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from schemas.registry import EVENT_CLASSES, data_model, dataschema_uri, full_type

__all__ = ["JSON_DIR", "render_all", "write_all"]

JSON_DIR = Path(__file__).parent / "json"


def render_all() -> dict[str, str]:
    """File name -> file text, for every message type."""
    files: dict[str, str] = {}
    for cls in EVENT_CLASSES:
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": dataschema_uri(cls),
            "x-cloudevents-type": full_type(cls),
        }
        schema.update(data_model(cls).model_json_schema(mode="serialization"))
        schema["title"] = full_type(cls)
        files[f"{cls.short_type}.v{cls.version}.json"] = (
            json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        )
    return files


def write_all(directory: Path = JSON_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        sys.stdout.write(f"wrote {path}\n")
