"""Runs every benchmark script (``bench/bench_*.py``) one after the other (``make bench``);
extra arguments such as ``--quick`` go to each. Each script prints its own baseline, measured
in the same run, and the ratio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name} {' '.join(sys.argv[1:])}", flush=True)
        failed += (
            subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode
            != 0
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
