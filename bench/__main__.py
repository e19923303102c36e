"""Run every benchmark under bench/ (each module run as
``python -m bench.NAME`` in its own process).

Benchmarks print figures and ratios against a baseline measured in the same
run; they assert nothing. ``python -m bench NAME`` runs only the ones whose
name contains NAME.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    wanted = argv[1:] or [""]
    here = Path(__file__).parent
    names = sorted(p.stem for p in here.glob("*.py") if not p.stem.startswith("_"))
    selected = [n for n in names if any(w in n for w in wanted)]
    if not selected:
        print(f"No benchmark matches {wanted}; available: {', '.join(names) or 'none'}")
        return 1
    failed = 0
    for name in selected:
        # Each benchmark runs in its own process: it configures its own database.
        print(f"\n=== {name} ===", flush=True)
        failed += (
            subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode != 0
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
