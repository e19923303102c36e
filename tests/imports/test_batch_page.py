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
        options=ImportOptions(lever="voluntary"),
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


def _batch(world, data: bytes, file_name: str, **options):
    batch = batch_create(
        resource="pledges",
        data=data,
        file_name=file_name,
        options=ImportOptions(**{"lever": "voluntary", **options}),
        user=None,
        dry_run=True,
    )
    batch_run(batch=batch)
    batch.refresh_from_db()
    return batch


FRENCH = (
    "Donateur;Référence;Montant;Monnaie;Date\n"
    "ACME;AC-1;1 000,50;CHF;01.04.2024\n"
    "Personne;AC-2;2 000,00;CHF;01.04.2024\n"
)


def test_a_semicolon_file_gets_its_error_report_with_semicolons_and_a_bom(
    admin_client, world
):
    batch = _batch(world, FRENCH.encode("cp1252"), "dons.csv")
    response = admin_client.get(
        reverse("admin:crm_importbatch_report", args=[batch.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('dons-errors.csv"')
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Donateur;Référence;Montant;Monnaie;Date;")
    assert lines[2].startswith("Personne;AC-2;2 000,00;CHF;01.04.2024;")
    import csv

    error = list(csv.reader(lines, delimiter=";"))[2][-1]
    assert "Personne" in error  # the error names the donor


def test_a_workbook_gets_its_error_report_as_a_workbook(admin_client, world):
    import io

    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Pledges 2024"
    sheet.append(["Donor", "Reference", "Amount", "Currency", "Date"])
    sheet.append(["ACME", "AC-1", 1000.5, "CHF", "2024-04-01"])
    sheet.append(["Nobody", "AC-2", 2000, "CHF", "2024-04-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    batch = _batch(world, buffer.getvalue(), "pledges.xlsx")
    response = admin_client.get(
        reverse("admin:crm_importbatch_report", args=[batch.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('pledges-errors.xlsx"')
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    report = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert report.sheetnames == ["Pledges 2024"]
    rows = list(report.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Donor", "Reference", "Amount", "Currency", "Date")
    assert rows[2][:4] == ("Nobody", "AC-2", 2000, "CHF")  # numbers stay numbers
    assert "Nobody" in rows[2][-1]


def test_the_batch_page_reads_its_options_and_tells_time_in_one_zone(
    admin_client, world, settings
):
    settings.TIME_ZONE = "Europe/Zurich"
    batch = _batch(
        world,
        FRENCH.encode(),
        "dons.csv",
        create_partners=True,
        partner_choices={"acme telecomm": world["acme"].pk},
    )
    text = admin_client.get(
        reverse("admin:crm_importbatch_change", args=[batch.pk])
    ).content.decode()
    assert "Create unmatched partners:</strong> yes" in text
    assert "day first (31.03.2024)" in text
    assert "acme telecomm → Acme Telecom" in text
    assert "partner_choices" not in text and '"dayfirst"' not in text
    from django.utils import timezone

    local = timezone.localtime(batch.created_at).strftime("%Y-%m-%d %H:%M")
    assert f"dons.csv (Pledges, {local})" in str(batch) or local in str(batch)
    assert local in text
