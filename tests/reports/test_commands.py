"""manage.py brief."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from reports.models import PrintLog
from tests.factories import MeetingFactory
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db


def test_it_prints_a_meeting_pack_as_a_user(rich_partner, officer, tmp_path):
    meeting = MeetingFactory(title="Bilateral", partners=[rich_partner])
    output = tmp_path / "pack.pdf"

    call_command(
        "brief", "--meeting", str(meeting.pk), "--user", "officer", "-o", str(output)
    )

    text = pdf_text(output.read_bytes())
    assert "Meeting pack: Bilateral" in text
    assert "Secret talks on the arrears plan" in text  # the officer may see it
    log = PrintLog.objects.get()
    assert (log.user, log.via) == (officer, "command")


def test_without_a_user_it_leaves_confidential_engagements_out(rich_partner, tmp_path):
    output = tmp_path / "country.pdf"

    call_command("brief", "--country", "FRD", "-o", str(output))

    text = pdf_text(output.read_bytes())
    assert "Government of Freedonia" in text
    assert "Secret talks" not in text


def test_it_reports_what_it_cannot_find(db, tmp_path):
    with pytest.raises(CommandError, match="No country with ISO code ZZZ"):
        call_command("brief", "--country", "ZZZ", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command(
            "brief", "--partner", "1", "--user", "ghost", "-o", str(tmp_path / "x.pdf")
        )
