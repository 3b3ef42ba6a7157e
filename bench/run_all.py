"""Runs every benchmark script in bench/ (``make bench``); extra arguments (e.g. ``--quick``)
go to each. One script per benchmark; each prints its own baseline and ratio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "common.py", "__init__.py"}


def main() -> int:
    failed = 0
    for script in sorted(p for p in HERE.glob("*.py") if p.name not in SKIP):
        print(f"== {script.name} {' '.join(sys.argv[1:])}", flush=True)
        failed += (
            subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode
            != 0
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
