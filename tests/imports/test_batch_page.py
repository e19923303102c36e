"""The batch page shows the file's content to its uploader and administrators only."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from crm.imports.engine import ImportOptions
from crm.imports.services import batch_create, batch_run
from crm.roles import ADMINISTRATOR, TASK_FORCE, VIEWER, roles_setup
from tests.factories import UserFactory

MARKER = "MARKER-91c2 Minister private offer"
FILE = (
    f"{MARKER}\n"
    "\n"
    "Donor,Reference,Amount,Currency,Date,Secret column {MARKER}\n"
    "ACME,AC-1,100,CHF,2024-04-01,x\n"
    "Nobody,AC-2,100,CHF,2024-04-01,x\n"
).replace("{MARKER}", MARKER)


def member_of(role: str, name: str):
    user = UserFactory(is_staff=True, username=name)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_only_the_uploader_and_administrators_read_what_the_file_holds(
    client, world, superuser
):
    roles_setup()
    uploader = member_of(TASK_FORCE, "uploader")
    batch = batch_create(
        resource="pledges",
        data=FILE.encode(),
        file_name="pledges.csv",
        options=ImportOptions(),
        user=uploader,
        dry_run=True,
    )
    batch_run(batch=batch)
    batch.refresh_from_db()
    assert batch.report
    page = reverse("admin:crm_importbatch_change", args=[batch.pk])
    report = reverse("admin:crm_importbatch_report", args=[batch.pk])

    readers = [uploader, superuser, member_of(ADMINISTRATOR, "administrator")]
    others = [member_of(TASK_FORCE, "colleague"), member_of(VIEWER, "viewer")]
    for user in readers + others:
        client.force_login(user)
        response = client.get(page)
        assert response.status_code == 200, user
        text = response.content.decode()
        # Everyone sees the counts.
        assert "rows_error" in text or "errors" in text.lower()
        if user in readers:
            assert MARKER in text, user
            assert client.get(report).status_code == 200, user
        else:
            assert MARKER not in text, user
            assert client.get(report).status_code == 404, user
