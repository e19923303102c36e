"""Bad files: a clear message naming what is wrong, and nothing changed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.imports.engine import ERROR
from pledges.models import Pledge
from tests.imports.conftest import DATA, do_import


def test_an_empty_file(world):
    result = do_import("pledges", b"", filename="empty.csv")
    assert "empty" in result.file_error
    assert not result.written


def test_a_binary_file_renamed_csv(world):
    data = (DATA / "image_renamed.csv").read_bytes()
    result = do_import("pledges", data, filename="photo.csv")
    assert result.file_error
    assert Pledge.objects.count() == 0


def test_a_file_without_a_recognisable_header(world):
    result = do_import("pledges", "a,b,c\n1,2,3\n4,5,6\n", filename="x.csv")
    assert result.file_error
    assert "Amount" in result.file_error or "amount" in result.file_error
    assert Pledge.objects.count() == 0


def test_a_50_mb_cell(world):
    huge = "x" * (50 * 1024 * 1024)
    data = (
        "Donor,Amount,Currency,Date\nACME,100,CHF,2024-01-01\n"
        f"{huge},1,CHF,2024-01-01\n"
    )
    result = do_import("pledges", data.encode(), filename="big.csv")
    message = result.file_error or " ".join(r.message for r in result.rows)
    assert message
    assert "3" in message and "Donor" in message
    assert len(message) < 2000  # the value is named, not dumped
    assert Pledge.objects.count() == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.text(max_size=12), st.text(max_size=12)),
        max_size=5,
    )
)
def test_any_cells_give_outcomes_never_a_crash(world, rows):
    lines = ["Donor,Amount,Date"]
    for donor, amount, day in rows:
        cells = [c.replace('"', '""') for c in (donor, amount, day)]
        lines.append(",".join(f'"{c}"' for c in cells))
    result = do_import("pledges", "\n".join(lines) + "\n", dry_run=True)
    assert result.file_error or all(
        r.outcome in ("new", "skipped", ERROR) for r in result.rows
    )


@pytest.mark.parametrize(
    "resource",
    ["partners", "contacts", "engagements", "payments", "exchange_rates", "fts"],
)
def test_every_resource_reports_an_empty_file(world, resource):
    result = do_import(resource, b"", filename="empty.csv")
    assert result.file_error
