"""Every setting is documented in docs/configuration.md."""

from __future__ import annotations

from pathlib import Path

from gateway.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [
        name
        for name in Settings.model_fields
        if f"`{name.upper()}`" not in text and f"{name.upper()}`" not in text
    ]
    assert not missing, f"document these settings in docs/configuration.md: {missing}"
