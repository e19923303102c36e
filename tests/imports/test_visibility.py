"""Imports see only what the user sees: no update, reveal, oracle or declassification.

Each test imports as a Task force member without "Can view confidential
engagements", with a confidential engagement planted on the partner the file
names.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from crm.imports.engine import ImportOptions, run_import
from crm.imports.registry import all_importers, get_importer
from crm.roles import TASK_FORCE, roles_setup
from partners.models import Engagement
from tests.factories import EngagementFactory, PledgeFactory, UserFactory
from tests.imports.conftest import DATA

SECRET = "Secret talks"
MARKER = "MARKER-7f3a: the minister's private offer"


@pytest.fixture
def task_force(db):
    roles_setup()
    user = UserFactory(is_staff=True, username="tf")
    user.groups.add(Group.objects.get(name=TASK_FORCE))
    assert not user.has_perm("partners.view_confidential_engagement")
    return user


@pytest.fixture
def hidden(world):
    return EngagementFactory(
        date=dt.date(2025, 6, 1),
        subject=SECRET,
        summary=MARKER,
        outcome=MARKER,
        confidential=True,
        partners=[world["acme"]],
    )


def as_user(name: str, content: bytes | str, user, **options):
    if isinstance(content, str):
        content = content.encode()
    return run_import(
        get_importer(name),
        content,
        filename="file.csv",
        options=ImportOptions(**options),
        user=user,
    )


def shown(result) -> str:
    """Everything a preview, a batch or a message could show of a run."""
    return json.dumps(result.preview(1000).as_dict(), default=str) + result.summary()


def engagement_row(summary: str = "Overwritten", confidential: str = "no") -> str:
    return (
        "Date,Subject,Partner,Summary,Confidential\n"
        f"2025-06-01,{SECRET},Acme Telecom,{summary},{confidential}\n"
    )


def test_a_row_matching_a_hidden_engagement_plans_as_new_like_any_other(
    task_force, hidden
):
    hidden_before = Engagement.objects.values().get(pk=hidden.pk)
    preview = as_user("engagements", engagement_row(), task_force, dry_run=True)
    unrelated = as_user(
        "engagements",
        engagement_row().replace(SECRET, "Nothing of that name"),
        task_force,
        dry_run=True,
    )

    # The same outcome and message as a row matching nothing: no oracle.
    assert [(r.outcome, r.message) for r in preview.rows] == [("new", "")]
    assert [(r.outcome, r.message) for r in unrelated.rows] == [("new", "")]
    assert MARKER not in shown(preview)

    result = as_user("engagements", engagement_row(), task_force)

    assert result.written
    # Created as a record of its own; the hidden one is untouched.
    assert Engagement.objects.values().get(pk=hidden.pk) == hidden_before
    created = Engagement.objects.exclude(pk=hidden.pk).get(subject=SECRET)
    assert (created.summary, created.confidential) == ("Overwritten", False)
    assert MARKER not in shown(result)


def test_a_user_without_the_permission_cannot_make_an_engagement_confidential(
    task_force, world
):
    open_one = EngagementFactory(
        date=dt.date(2025, 6, 1), subject=SECRET, partners=[world["acme"]]
    )

    result = as_user("engagements", engagement_row(confidential="yes"), task_force)

    assert not result.written
    assert result.rows[0].outcome == "error"
    assert "Confidential" in result.rows[0].message
    assert "permission" in result.rows[0].message
    open_one.refresh_from_db()
    assert (open_one.confidential, open_one.summary) == (False, "")


def test_a_user_with_the_permission_declassifies_through_an_import(task_force, hidden):
    task_force.user_permissions.add(
        Permission.objects.get(codename="view_confidential_engagement")
    )
    task_force = type(task_force).objects.get(pk=task_force.pk)

    preview = as_user("engagements", engagement_row(), task_force, dry_run=True)
    assert preview.rows[0].outcome == "update"
    assert MARKER in preview.rows[0].message  # the old summary, to one allowed

    assert as_user("engagements", engagement_row(), task_force).written
    hidden.refresh_from_db()
    assert (hidden.confidential, hidden.summary) == (False, "Overwritten")


def test_the_command_line_without_a_user_runs_as_the_system_and_sees_all(hidden):
    result = as_user("engagements", engagement_row(), None)

    assert [r.outcome for r in result.rows] == ["update"]
    assert Engagement.objects.count() == 1


# One file per importer the registry holds; each names the partner that has
# the confidential engagement.
FILES = {
    "partners": "Organisation,Code,Website\nAcme Telecom,ACME,https://acme.example\n",
    "contacts": "Name,Email,Organisation\nJane Doe,jane@example.org,Acme Telecom\n",
    "engagements": engagement_row(),
    "pledges": "Donor,Reference,Amount,Currency,Date\nACME,AC-1,100,CHF,2024-04-01\n",
    "fts": (DATA / "imports_fts_flows.csv").read_bytes(),
    "payments": "Pledge reference,Payment date,Amount\nAC-9,01.06.2024,600\n",
    "exchange_rates": (DATA / "imports_exchange_rates.tsv").read_bytes(),
}


def test_every_importer_has_its_visibility_test():
    assert set(FILES) == set(all_importers())


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_importer_changes_and_shows_nothing_hidden(
    name, task_force, world, hidden
):
    PledgeFactory(
        partner=world["acme"],
        lever=world["lever"],
        external_id="AC-9",
        amount=Decimal("1000"),
        currency="CHF",
    )
    hidden_before = Engagement.objects.values().get(pk=hidden.pk)
    filename = "rates.tsv" if name == "exchange_rates" else "file.csv"
    content = FILES[name]
    if isinstance(content, str):
        content = content.encode()

    def run(**options):
        return run_import(
            get_importer(name),
            content,
            filename=filename,
            options=ImportOptions(lever="voluntary", **options),
            user=task_force,
        )

    preview = run(dry_run=True)
    result = run()
    again = run(dry_run=True)

    assert result.written, [r.message for r in result.rows]
    for each in (preview, result, again):
        assert MARKER not in shown(each)
    assert Engagement.objects.values().get(pk=hidden.pk) == hidden_before
    # What the user sees is matched: the same file again changes nothing.
    assert again.counts["new"] == again.counts["update"] == 0, [
        r.message for r in again.rows
    ]
