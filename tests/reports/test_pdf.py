"""Printed briefs read back with pypdf: names, totals, pages, languages, secrecy."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from partners.models import Membership
from reports.briefs.data import BriefRequest
from reports.briefs.printing import brief_print
from reports.models import PrintLog
from tests.factories import (
    CountryFactory,
    EngagementFactory,
    GovernmentFactory,
    MeetingFactory,
    MembershipFactory,
    PartnerFactory,
)
from tests.reports.conftest import ARABIC_NAME, CHINESE_NAME, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


def test_a_partner_brief_holds_identity_contacts_money_and_history(
    rich_partner, officer
):
    filename, content_type, content = brief_print(
        request=BriefRequest.for_partners([rich_partner.pk]), user=officer
    )
    text = pdf_text(content)

    assert content_type == "application/pdf"
    assert filename.startswith("brief_frd_") and filename.endswith("_en.pdf")
    for expected in (
        "Government of Freedonia",
        "Gouvernement de la Fredonie",
        "Member State",
        "CHF 318,000",  # annual dues
        "CHF 700,000",  # arrears
        "loses its right to vote",
        "Ambassador / Permanent Representative",
        "Pierre Ancien",  # left recently
        "CHF 100,000",  # pledged
        "CHF 40,000",  # received
        "CHF 60,000",  # outstanding
        "CHF 10,000",  # overdue
        "Courtesy call on the new ambassador",
        "Agreed to renew the contribution",
        "Send the renewal letter",
        "3 days overdue",
        "WSIS Forum",
        "CONFIDENTIAL",  # the marking, in capitals
        "Generated",
        "by Claire officer",
    ):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(content))
    log = PrintLog.objects.get()
    assert log.pages == len(reader.pages)
    assert f"Page 1 of {log.pages}" in text


def test_the_print_log_says_who_printed_what_when(rich_partner, officer):
    brief_print(request=BriefRequest.for_partners([rich_partner.pk]), user=officer)

    log = PrintLog.objects.get()
    assert log.user == officer
    assert log.document == PrintLog.Document.PARTNER_BRIEF
    assert list(log.partners.all()) == [rich_partner]
    assert log.printed_at is not None
    assert log.includes_confidential
    assert log.status == PrintLog.Status.DONE
    assert log.size_bytes > 1000


def test_confidential_engagements_are_absent_for_a_user_without_permission(
    rich_partner, printer
):
    _name, _type, content = brief_print(
        request=BriefRequest.for_partners([rich_partner.pk]), user=printer
    )
    text = pdf_text(content)

    assert "Courtesy call on the new ambassador" in text
    assert "Secret talks" not in text
    assert "FOR INTERNAL USE ONLY" in text
    assert not PrintLog.objects.get().includes_confidential


def test_arabic_and_chinese_names_can_be_read_back(rich_partner, officer):
    _name, _type, content = brief_print(
        request=BriefRequest.for_partners([rich_partner.pk]), user=officer
    )
    text = pdf_text(content)

    assert ARABIC_NAME in text
    assert CHINESE_NAME in text


def test_lang_fr_prints_french_labels_dates_and_names(rich_partner, tmp_path):
    output = tmp_path / "brief.pdf"

    call_command(
        "brief", "--partner", str(rich_partner.pk), "--lang", "fr", "-o", str(output)
    )
    text = pdf_text(output.read_bytes())

    for expected in ("Gouvernement de la Fredonie", "1er juin 2025", "Page 1 sur"):
        assert expected in text, expected
    # Section headings print in capitals.
    for heading in ("ADHÉSION À L'UIT", "CONTACTS CLÉS", "SUIVIS OUVERTS"):
        assert heading in text, heading
    assert "État Membre" in text
    assert re.search(r"318\s000,00\sCHF", text)
    log = PrintLog.objects.get()
    assert (log.language, log.via, log.user) == ("fr", "command", None)


def test_a_partner_with_no_history_prints_a_clean_one_page_brief(printer):
    partner = PartnerFactory(name="Quiet Foundation", category="foundation")

    _name, _type, content = brief_print(
        request=BriefRequest.for_partners([partner.pk]), user=printer
    )
    pages = pdf_pages(content)

    assert len(pages) == 1
    assert "Quiet Foundation" in pages[0]
    assert "Nothing is recorded with this partner yet" in pages[0]
    assert "Not an ITU member." in pages[0]
    assert "RECENT ENGAGEMENTS" not in pages[0]
    assert "PLEDGES AND PAYMENTS" not in pages[0]


def test_a_long_history_points_to_the_annex(settings, printer):
    settings.REPORTS_BRIEF_ENGAGEMENTS = 2
    partner = PartnerFactory(name="Chatty Corp")
    for day in range(1, 6):
        EngagementFactory(
            partners=[partner], date=dt.date(2025, 3, day), subject=f"Talk {day}"
        )

    _name, _type, content = brief_print(
        request=BriefRequest.for_partners([partner.pk]), user=printer
    )
    text = pdf_text(content)

    assert "and 3 earlier engagements (see annex)" in text
    assert "Annex: engagement log" in text
    assert "Talk 1" in text  # the oldest, in the annex only


def first_page_with(text: str, pages: list[str]) -> int:
    """The number of the first page after the cover showing ``text``."""
    return next(n for n, page in enumerate(pages[1:], start=2) if text in page)


def test_a_meeting_pack_has_cover_contents_agenda_briefs_and_annex(
    rich_partner, officer
):
    other = PartnerFactory(name="Acme Telecom")
    EngagementFactory(partners=[other], subject="Sponsorship of AI for Good")
    first = MeetingFactory(
        title="Bilateral with Freedonia",
        partners=[rich_partner],
        counterparts=[rich_partner.affiliations.first().contact],
    )
    second = MeetingFactory(
        title="Acme sponsorship",
        partners=[other],
        starts_at=first.starts_at + dt.timedelta(hours=2),
    )

    _name, _type, content = brief_print(
        request=BriefRequest.for_meetings([first.pk, second.pk]), user=officer
    )
    pages = pdf_pages(content)
    text = " ".join(pages)

    assert "Meeting pack: 2 meetings" in pages[0]
    assert "CONTENTS" in pages[0]
    for expected in (
        "THE PARTNERS AT A GLANCE",
        "Secure the renewal of the voluntary contribution.",
        "Invite to the WSIS Forum",
        "Bilateral with Freedonia",
        "Acme sponsorship",
        "Sponsorship of AI for Good",
    ):
        assert expected in text, expected
    # The contents give the page each part starts on.
    contents = pages[0]
    annex_page = first_page_with("Annex: engagement log", pages)
    assert re.search(rf"Annex: engagement log[ .]*{annex_page}\b", contents)
    acme_page = first_page_with("PRIVATE SECTOR", pages)
    assert re.search(rf"Acme Telecom[ .]*{acme_page}\b", contents)
    assert set(PrintLog.objects.get().meetings.all()) == {first, second}


def test_a_country_brief_covers_the_government_and_members_based_there(officer):
    country = CountryFactory(name_en="Ruritania", iso3="RUR")
    government = GovernmentFactory(country=country)
    MembershipFactory(partner=government)
    member = PartnerFactory(name="Ruritel", country=country)
    MembershipFactory(
        partner=member,
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.T,
    )
    PartnerFactory(name="Unrelated Ruritanian Bakery", country=country)

    _name, _type, content = brief_print(
        request=BriefRequest.for_country("rur"), user=officer
    )
    text = pdf_text(content)

    assert "Country brief: Ruritania" in text
    assert "Government of Ruritania" in text
    assert "Ruritel" in text
    assert "Sector Member ITU-T" in text
    assert "Bakery" not in text
    assert set(PrintLog.objects.get().partners.all()) == {government, member}


def test_a_contact_brief_shows_the_person_and_their_partners(rich_partner, officer):
    contact = rich_partner.affiliations.get(is_primary=True).contact

    _name, _type, content = brief_print(
        request=BriefRequest.for_contact(contact.pk), user=officer
    )
    text = pdf_text(content)

    assert ARABIC_NAME in text
    assert "CURRENT ROLES" in text
    assert "Government of Freedonia" in text
    assert "Courtesy call on the new ambassador" in text
