"""Large valid payroll files for tests, from the benchmark's generator (bench/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

_GENERATOR = Path(__file__).resolve().parents[2] / "bench" / "gen_payroll_csv.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_payroll_csv", _GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def payroll_file(path: Path, rows: int) -> Path:
    """A flexwerk-uitzend export of ``rows`` data rows (placements, hours, payroll)."""
    _module().generate(path, rows_wanted=rows, bytes_wanted=None)
    return path
