"""Runs every benchmark script in bench/ (bench_*.py) one after the other; arguments (such as
--quick) are passed to each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    failed = 0
    for script in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        failed += (
            subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode
            != 0
        )
    sys.exit(1 if failed else 0)
