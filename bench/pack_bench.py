"""Long-pack benchmark: a ~40-partner background pack laid out whole and in parts.

Fills its own SQLite database under /tmp (``bench.pdf_bench``'s generator
with 40 more partners), then prints the pack once per part size, each in a
fresh process so that the process peak RSS (WeasyPrint's Python objects and
Pango's C memory alike) belongs to that run alone. Part size 0 lays the pack
out whole, as before ``REPORTS_PACK_PART_PARTNERS``; the ratios compare each
part size to it.

    .venv/bin/python -m bench.pack_bench
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

DB_PATH = Path(os.environ.get("PACK_BENCH_DB", "/tmp/crm_pack_bench.sqlite3"))
PARTNERS = 40
PART_SIZES = (0, 20, 10, 5)


def _setup() -> None:
    # pdf_bench reads its database path at import: point it at this one.
    os.environ["PDF_BENCH_DB"] = str(DB_PATH)
    from bench import pdf_bench

    pdf_bench.setup_django()


def print_once(part_size: int) -> dict:
    """Print the pack with ``part_size`` partners a part; time and peak RSS."""
    _setup()
    from django.conf import settings

    from reports.briefs.data import BriefRequest
    from reports.briefs.printing import brief_print
    from reports.models import PrintLog

    ids = json.loads((DB_PATH.with_suffix(".json")).read_text())
    request = BriefRequest.for_partners(ids["pack"])
    user = (
        PrintLog.objects.none()
        .model._meta.apps.get_model("auth", "User")
        .objects.get(pk=ids["officer"])
    )
    settings.REPORTS_PACK_PART_PARTNERS = part_size
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    _name, _type, content = brief_print(request=request, user=user)
    seconds = time.perf_counter() - started
    return {
        "part_size": part_size,
        "pages": PrintLog.objects.latest("printed_at").pages,
        "seconds": seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_mib": before,
        "bytes": len(content),
    }


def main() -> None:
    _setup()
    from bench import pdf_bench

    started = time.perf_counter()
    pdf_bench.create_database()
    data = pdf_bench.generate(random.Random(5), pack_partners=PARTNERS)
    DB_PATH.with_suffix(".json").write_text(
        json.dumps({"officer": data["officer"].pk, "pack": data["pack"]})
    )
    print(
        f"database {DB_PATH} filled in {time.perf_counter() - started:.1f} s; "
        f"a pack of {PARTNERS} partners, each size printed in its own process"
    )
    print(
        f"{'part size':<11}{'pages':>6}{'seconds':>9}{'peak RSS MiB':>14}"
        f"{'time ratio':>12}{'memory ratio':>14}"
    )
    whole = None
    for size in PART_SIZES:
        out = subprocess.run(
            [sys.executable, "-m", "bench.pack_bench", "--part-size", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        whole = whole or r
        label = "whole" if size == 0 else str(size)
        print(
            f"{label:<11}{r['pages']:>6}{r['seconds']:>9.1f}{r['peak_mib']:>14.0f}"
            f"{r['seconds'] / whole['seconds']:>12.2f}"
            f"{r['peak_mib'] / whole['peak_mib']:>14.2f}"
        )
    print(
        f"(peak RSS before printing, after start-up and the data: "
        f"{whole['before_mib']:.0f} MiB; the default part size is 20)"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--part-size"]:
        print(json.dumps(print_once(int(sys.argv[2]))))
    else:
        main()
