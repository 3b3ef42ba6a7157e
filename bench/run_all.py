"""Runs every benchmark script in bench/ (not helpers: ``_*.py``, ``gen_*.py``), one after the
other, passing the arguments on (e.g. ``--quick``).

    python bench/run_all.py [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(
        p
        for p in HERE.glob("*.py")
        if not p.name.startswith(("_", "gen_")) and p.name != Path(__file__).name
    )
    failed = []
    for script in scripts:
        sys.stdout.write(f"\n=== {script.name} {' '.join(sys.argv[1:])}\n")
        sys.stdout.flush()
        if subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode:
            failed.append(script.name)
    if failed:
        sys.stdout.write(f"\nfailed: {', '.join(failed)}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
