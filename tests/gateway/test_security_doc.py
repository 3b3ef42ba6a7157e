"""docs/security.md's threat model names the tests that prove each control: they exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_test_the_threat_model_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    named += [
        (path, name)
        for path, rest in re.findall(r"`(tests/[\w/]+\.py)::\w+`((?:, `::\w+`)+)", text)
        for name in re.findall(r"`::(\w+)`", rest)
    ]
    assert len(named) >= 10
    for path, name in named:
        source = ROOT / path
        assert source.exists(), path
        if name:
            functions = {
                node.name
                for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            assert name in functions, f"{path}::{name}"
