from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from crm.imports import services
from crm.models import ImportBatch
from pledges.models import Pledge
from tests.imports.conftest import DATA


def test_import_data_prints_counts_and_is_idempotent(world, tmp_path, capsys):
    path = DATA / "imports_pledges_fr_swiss.csv"
    call_command("import_data", "pledges", str(path), "--lever", "voluntary")
    out = capsys.readouterr().out
    assert "3 new" in out
    call_command("import_data", "pledges", str(path), "--lever", "voluntary")
    out = capsys.readouterr().out
    assert "3 unchanged" in out and "already up to date" in out
    assert ImportBatch.objects.count() == 2


def test_import_data_exits_non_zero_and_writes_the_report(world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Donor,Amount,Currency,Date\nNobody,100,CHF,2024-01-01\n")
    report = tmp_path / "report.csv"
    with pytest.raises(CommandError, match="1 rows with errors"):
        call_command(
            "import_data",
            "pledges",
            str(path),
            "--report",
            str(report),
            "--lever",
            "voluntary",
        )
    assert "Nobody" in report.read_text(encoding="utf-8-sig")
    assert Pledge.objects.count() == 0


def test_import_data_dry_run_and_options(world, tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text("Donor,Amount,Currency,Date\nNew Donor,100,CHF,03/31/2024\n")
    call_command(
        "import_data",
        "pledges",
        str(path),
        "--lever",
        "voluntary",
        "--dry-run",
        "--create-partners",
        "--monthfirst",
    )
    assert "1 new" in capsys.readouterr().out
    assert Pledge.objects.count() == 0
    call_command(
        "import_data",
        "pledges",
        str(path),
        "--lever=voluntary",
        "--create-partners",
        "--monthfirst",
        "--valid-rows-only",
        "--format",
        "csv",
    )
    assert Pledge.objects.get().partner.name == "New Donor"


def test_import_data_reads_a_sheet(world, capsys):
    path = DATA / "imports_pledges_multisheet.xlsx"
    call_command(
        "import_data",
        "pledges",
        str(path),
        "--sheet",
        "Pledges 2023",
        "--lever",
        "voluntary",
    )
    assert Pledge.objects.get().external_id == "DE-2023-1"


def test_import_data_imports_a_large_file_at_once_without_a_worker(
    world, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_ROWS", 2)
    path = tmp_path / "large.csv"
    path.write_text(
        "Donor,Reference,Amount,Currency,Date\n"
        + "".join(f"ACME,AC-{n},{n}00,CHF,2024-04-0{n}\n" for n in range(1, 6))
    )
    with django_capture_on_commit_callbacks() as queued:
        call_command("import_data", "pledges", str(path), "--lever", "voluntary")
    assert queued == []
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.background) == (ImportBatch.Status.DONE, False)
    assert Pledge.objects.count() == 5
