"""The entry points: buttons, the meeting admin, the print log, background packs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import Meeting, PrintLog
from tests.factories import ContactFactory, MeetingFactory, PartnerFactory, UserFactory
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def printer_client(client, printer):
    client.force_login(printer)
    return client


def test_the_partner_page_offers_print_brief(printer_client, rich_partner):
    url = reverse("admin:partners_partner_change", args=[rich_partner.pk])

    response = printer_client.get(url)

    assert response.status_code == 200
    print_url = reverse("admin:reports_print_partner", args=[rich_partner.pk])
    assert print_url in response.text
    assert f"{print_url}?lang=fr" in response.text
    country = reverse("admin:reports_print_country", args=["FRD"])
    assert country in response.text


def test_the_contact_page_offers_print_brief(printer_client):
    contact = ContactFactory()

    response = printer_client.get(
        reverse("admin:partners_contact_change", args=[contact.pk])
    )

    assert reverse("admin:reports_print_contact", args=[contact.pk]) in response.text


def test_no_print_button_without_the_permission(client, staff_user, rich_partner):
    client.force_login(staff_user)

    response = client.get(
        reverse("admin:partners_partner_change", args=[rich_partner.pk])
    )

    assert response.status_code == 200
    assert "Print brief" not in response.text


def test_print_brief_downloads_the_pdf_and_logs_it(
    printer_client, printer, rich_partner
):
    response = printer_client.get(
        reverse("admin:reports_print_partner", args=[rich_partner.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="brief_')
    assert "Government of Freedonia" in pdf_text(response.content)
    log = PrintLog.objects.get()
    assert (log.user, log.via, log.language) == (printer, "admin", "en")


def test_print_brief_in_french(printer_client, rich_partner):
    response = printer_client.get(
        reverse("admin:reports_print_partner", args=[rich_partner.pk]) + "?lang=fr"
    )

    assert "Points à soulever".upper() in pdf_text(response.content)


def test_printing_needs_its_own_permission(client, staff_user, rich_partner):
    client.force_login(staff_user)

    response = client.get(
        reverse("admin:reports_print_partner", args=[rich_partner.pk])
    )

    assert response.status_code == 403
    assert not PrintLog.objects.exists()


def test_the_partner_list_action_url_prints_one_pdf_for_the_selection(
    printer_client,
):
    first, second = PartnerFactory(name="Alpha Ltd"), PartnerFactory(name="Beta SA")

    response = printer_client.get(
        reverse("admin:reports_print_partners") + f"?ids={first.pk},{second.pk}"
    )

    text = pdf_text(response.content)
    assert "Alpha Ltd" in text and "Beta SA" in text
    assert set(PrintLog.objects.get().partners.all()) == {first, second}


def test_an_unknown_partner_is_reported_not_printed(printer_client):
    response = printer_client.get(
        reverse("admin:reports_print_partners") + "?ids=999999", follow=True
    )

    assert "No partner with id 999999" in response.text
    assert not PrintLog.objects.exists()


def test_a_large_pack_is_printed_in_the_background_and_downloaded_from_the_log(
    printer_client, printer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.REPORTS_BACKGROUND_PARTNERS = 1
    ids = [PartnerFactory(name=f"Member {i}").pk for i in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = printer_client.get(
            reverse("admin:reports_print_partners") + "?ids=" + ",".join(map(str, ids)),
            follow=True,
        )

    assert "prepared in the background" in response.text
    log = PrintLog.objects.get()
    assert (log.status, log.via, log.pages) == ("done", "background", 3)
    assert log.task_id
    download = printer_client.get(log.get_download_url())
    assert download.status_code == 200
    assert "Member 1" in pdf_text(b"".join(download.streaming_content))
    assert (
        log.get_download_url()
        in printer_client.get(reverse("admin:reports_printlog_changelist")).text
    )


def test_nobody_else_downloads_a_users_pack(
    client, printer, officer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    settings.REPORTS_BACKGROUND_PARTNERS = 0
    client.force_login(printer)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("admin:reports_print_partner", args=[PartnerFactory().pk]))
    log = PrintLog.objects.get()
    assert log.is_downloadable

    client.force_login(officer)

    assert client.get(log.get_download_url()).status_code == 403


def test_the_meeting_admin_lists_searches_adds_and_changes(
    admin_client, rich_partner, django_assert_max_num_queries
):
    MeetingFactory.create_batch(3, partners=[rich_partner])
    changelist = reverse("admin:reports_meeting_changelist")

    with django_assert_max_num_queries(12):
        assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "Freedonia"}).status_code == 200
    assert admin_client.get(reverse("admin:reports_meeting_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:reports_meeting_add"),
        {
            "title": "Call on the ambassador",
            "starts_at_0": "2025-06-10",
            "starts_at_1": "10:00",
            "objectives": "Renewal",
            # The partners covered, each with its ask (MeetingPartner rows).
            "meetingpartner_set-TOTAL_FORMS": "1",
            "meetingpartner_set-INITIAL_FORMS": "0",
            "meetingpartner_set-MIN_NUM_FORMS": "1",
            "meetingpartner_set-MAX_NUM_FORMS": "1000",
            "meetingpartner_set-0-partner": str(rich_partner.pk),
            "meetingpartner_set-0-ask": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = Meeting.objects.get(title="Call on the ambassador")
    assert meeting.created_by.username == "admin"
    assert list(meeting.partners.all()) == [rich_partner]
    page = admin_client.get(reverse("admin:reports_meeting_change", args=[meeting.pk]))
    assert reverse("admin:reports_print_meeting", args=[meeting.pk]) in page.text


def test_the_meeting_action_prints_one_pack_for_the_selection(
    admin_client, rich_partner
):
    meetings = MeetingFactory.create_batch(2, partners=[rich_partner])

    response = admin_client.post(
        reverse("admin:reports_meeting_changelist"),
        {"action": "print_pack", "_selected_action": [m.pk for m in meetings]},
    )

    assert response["Content-Type"] == "application/pdf"
    assert "Meeting pack: 2 meetings" in pdf_text(response.content)


def test_the_print_log_is_read_only(admin_client, rich_partner):
    admin_client.get(reverse("admin:reports_print_partner", args=[rich_partner.pk]))
    log = PrintLog.objects.get()

    assert (
        admin_client.get(reverse("admin:reports_printlog_changelist")).status_code
        == 200
    )
    page = admin_client.get(reverse("admin:reports_printlog_change", args=[log.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert admin_client.get(reverse("admin:reports_printlog_add")).status_code == 403


def test_the_start_page_lists_this_weeks_meetings_with_their_packs(
    printer_client, rich_partner
):
    meeting = MeetingFactory(
        partners=[rich_partner], starts_at=timezone.now() + dt.timedelta(days=1)
    )

    response = printer_client.get(reverse("admin:index"))

    assert reverse("admin:reports_print_meeting", args=[meeting.pk]) in response.text


def test_a_user_without_print_permission_sees_no_meeting_panel(client):
    user = UserFactory(username="nobody")
    client.force_login(user)

    assert "crm-meetings-ahead" not in client.get(reverse("admin:index")).text


def test_the_partner_list_action_prints_the_selected_partners(printer_client):
    first, second = PartnerFactory(name="Aurora Labs"), PartnerFactory(name="Borealis")

    response = printer_client.post(
        reverse("admin:partners_partner_changelist"),
        {"action": "print_briefs", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert "Aurora Labs" in text
    assert "Borealis" in text


def test_the_print_action_is_offered_only_to_those_who_may_print(client, staff_user):
    client.force_login(staff_user)
    page = client.get(reverse("admin:partners_partner_changelist"))
    assert b"print_briefs" not in page.content
