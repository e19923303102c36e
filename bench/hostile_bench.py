"""Hostile-file benchmark: what each hostile file costs, and the XLSX readers.

1. The XLSX readers on 100,000 pledge rows: the import's reader (the guard,
   then python-calamine) against openpyxl's public read-only mode, each in
   its own process, with time and peak memory (target: 512 MB).
2. Every file of ``tests/hostile_files.py`` through what the upload page runs
   (``upload_check``) and what the command and the worker run (``read_table``),
   each in its own process: the time to the refusal, the peak resident memory
   (the file's own bytes included) and the message's start. Target: a few
   seconds and under ~300 MB each.

Files are generated under /tmp; nothing touches a database.

    .venv/bin/python -m bench hostile
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

FILES = Path(os.environ.get("HOSTILE_BENCH_FILES", "/tmp/crm_hostile_bench"))
ROWS = int(os.environ.get("HOSTILE_BENCH_ROWS", "100000"))


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def pledges_xlsx(path: Path) -> None:
    import openpyxl

    rng = random.Random(7)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Pledges")
    sheet.append(["Donor", "Reference", "Amount", "Currency", "Date", "Stage"])
    start = dt.date(2020, 1, 1)
    for n in range(ROWS):
        sheet.append(
            [
                f"Partner {rng.randrange(500)}",
                f"REF-{n}",
                round(rng.uniform(100, 1e6), 2),
                rng.choice(["CHF", "USD", "EUR"]),
                start + dt.timedelta(days=n % 1500),
                "pledged",
            ]
        )
    book.save(path)


def child(mode: str, path: Path) -> dict:
    setup_django()
    data = path.read_bytes()
    base = peak_mb()
    start = time.perf_counter()
    message = ""
    rows = 0
    if mode == "calamine":
        import io

        from python_calamine import CalamineWorkbook

        from crm.lib.tabular import _xlsx_records
        from crm.lib.xlsx_guard import inspect_xlsx

        scan = inspect_xlsx(data)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        found = scan.sheets[sheet.name]
        for _row in _xlsx_records(sheet, found.formulas, found.errors):
            rows += 1
        book.close()
    elif mode == "openpyxl":
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # never trust <dimension>
        for _row in sheet.iter_rows(values_only=True):
            rows += 1
        book.close()
    else:
        from crm.imports.services import upload_check
        from crm.lib.tabular import TableError, read_table

        try:
            if mode == "upload":
                rows = upload_check(data=data, file_name=path.name)
            else:
                rows = len(read_table(data, filename=path.name).rows)
        except TableError as error:
            message = str(error)
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "rows": rows,
        "message": message,
    }


def run_child(mode: str, path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.hostile_bench", "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import hostile_files

    shutil.rmtree(FILES, ignore_errors=True)
    FILES.mkdir(parents=True)

    print(f"XLSX readers, {ROWS:,} rows (each in its own process):")
    source = FILES / "pledges.xlsx"
    pledges_xlsx(source)
    for label, mode in [
        ("guard + calamine, rows", "calamine"),
        ("openpyxl read-only (public API), rows", "openpyxl"),
        ("read_table (guard + calamine + header, repairs)", "read"),
    ]:
        figures = run_child(mode, source)
        print(
            f"  {label:48} {figures['seconds']:7.2f} s  "
            f"peak {figures['peak_mb']:6.0f} MiB  rows {figures['rows']:,}"
        )

    print("\nHostile files (time to the answer, peak RSS with the file's bytes):")
    print(f"  {'file':26} {'size':>9}  {'surface':8} {'time':>7}  {'peak':>8}  answer")
    for label, (make, _expected) in hostile_files.ALL.items():
        name, data = make()
        path = FILES / name
        path.write_bytes(data)
        del data
        for surface, mode in [("upload", "upload"), ("read", "read")]:
            figures = run_child(mode, path)
            message = figures["message"] or f"accepted, {figures['rows']:,} rows"
            print(
                f"  {label:26} {_size(path.stat().st_size):>9}  {surface:8} "
                f"{figures['seconds']:6.2f}s  {figures['peak_mb']:5.0f} MiB  "
                f"{message[:90]}"
            )
    shutil.rmtree(FILES, ignore_errors=True)


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
