"""Meeting packs as an ambassador reads them: the first page, the asks, cents,
totals that add up, file names in the language, and no text drawn over text."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import unicodedata
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from crm.lib.pdf import html_to_pdf
from partners.models import Engagement
from reports.briefs.asks import default_asks
from reports.briefs.data import BriefRequest
from reports.briefs.printing import brief_print
from reports.models import MeetingPartner
from tests.factories import (
    EngagementFactory,
    ExchangeRateFactory,
    FollowUpFactory,
    GovernmentFactory,
    MeetingFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
)

pytestmark = pytest.mark.django_db


def _poppler(*args: str, content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", *args, "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page as poppler reads it, spaces collapsed.

    Poppler, not pypdf: pypdf and pdfminer cannot decode the custom-encoded
    subset fonts WeasyPrint writes for the regular weight.
    """
    pages = _poppler(content=content).split("\f")[:-1]
    # NFKC undoes ligatures: "ﬁrm" reads "firm".
    return [
        re.sub(r"\s+", " ", unicodedata.normalize("NFKC", page)).strip()
        for page in pages
    ]


def print_meeting(meeting, user, language="en"):
    return brief_print(
        request=BriefRequest.for_meetings([meeting.pk], language), user=user
    )


def test_each_meeting_opens_with_its_partners_at_a_glance_on_one_page(
    rich_partner, officer
):
    other = PartnerFactory(name="Acme Telecom")
    meeting = MeetingFactory(
        title="Bilateral with Freedonia", partners=[rich_partner, other]
    )

    _name, _type, content = print_meeting(meeting, officer)
    pages = pdf_pages(content)
    first = pages[1]  # after the cover

    assert "Bilateral with Freedonia" in first
    assert "THE PARTNERS AT A GLANCE" in first
    for expected in (
        "Government of Freedonia",
        "Acme Telecom",
        "Member State, arrears CHF 700,000.00",  # status: membership and dues
        "Pledges: Agreement signed (1 open pledge)",  # status: stage
        "40,000.00",  # given
        "60,000.00",  # outstanding
        "10,000.00 overdue",
        "1 June 2025",  # last contact
        "Courtesy call on the new ambassador",
        "Not an ITU member",
        "TALKING POINTS",  # the whole meeting fits its page
        "Invite to the WSIS Forum",
    ):
        assert expected in first, expected
    assert "POINTS TO RAISE" not in first  # the briefs start on the next page


def test_the_default_ask_comes_from_overdue_money_open_pledges_then_follow_ups(
    rich_partner, officer, today
):
    ExchangeRateFactory(currency="USD", units_per_usd=Decimal("1"))
    to_confirm = GovernmentFactory()
    PledgeFactory(
        partner=to_confirm,
        stage="proposal",
        amount=Decimal("250000.00"),
        expected_by=dt.date(2027, 6, 30),
        pledged_on=None,
    )
    PledgeFactory(partner=to_confirm, stage="prospect", amount=Decimal("5000.00"))
    following = GovernmentFactory()
    FollowUpFactory(
        partner=following,
        description="Send the project report",
        due_date=dt.date(2026, 1, 15),
    )
    quiet = GovernmentFactory()

    with translation.override("en"):
        asks = default_asks(
            [rich_partner.pk, to_confirm.pk, following.pk, quiet.pk],
            user=officer,
            today=today,
        )

    assert asks[rich_partner.pk].startswith(
        "Ask for the CHF 10,000.00 overdue on the pledge “Voluntary contribution”"
    )
    assert asks[to_confirm.pk] == (
        "Confirm the CHF 250,000.00 pledge for 2027 (stage: Proposal)."
    )
    assert asks[following.pk] == (
        "Follow up: Send the project report (due 15 January 2026)."
    )
    assert asks[quiet.pk] == ""


def test_a_typed_ask_prints_instead_of_the_default(rich_partner, officer):
    other = GovernmentFactory(name="Government of Sylvania")
    FollowUpFactory(partner=other, description="Send the project report")
    meeting = MeetingFactory(partners=[rich_partner, other])
    MeetingPartner.objects.filter(meeting=meeting, partner=rich_partner).update(
        ask="Announce the 2027 contribution at the WSIS Forum"
    )

    first = pdf_pages(print_meeting(meeting, officer)[2])[1]

    assert "Announce the 2027 contribution at the WSIS Forum" in first
    assert "overdue on the pledge" not in first  # the default, replaced
    assert "Follow up: Send the project report" in first  # the other's default
    assert first.count("Proposed from open pledges and follow-ups.") == 1


def test_the_default_ask_leaves_out_follow_ups_of_confidential_engagements(
    printer, officer
):
    partner = GovernmentFactory()
    secret = EngagementFactory(partners=[partner], confidential=True)
    FollowUpFactory(
        engagement=secret, partner=None, description="Raise the secret proposal"
    )
    meeting = MeetingFactory(partners=[partner])

    assert (
        "Raise the secret proposal" in pdf_pages(print_meeting(meeting, officer)[2])[1]
    )
    assert "Raise the secret proposal" not in " ".join(
        pdf_pages(print_meeting(meeting, printer)[2])
    )


def test_the_meeting_form_offers_the_default_ask_and_saves_a_typed_one(
    admin_client, rich_partner
):
    meeting = MeetingFactory(partners=[rich_partner])
    row = MeetingPartner.objects.get(meeting=meeting)
    url = f"/admin/reports/meeting/{meeting.pk}/change/"

    page = admin_client.get(url).content.decode()
    assert 'placeholder="Ask for the CHF 10,000.00 overdue on the pledge' in page

    prefix = "meetingpartner_set"
    response = admin_client.post(
        url,
        {
            "title": meeting.title,
            "starts_at_0": "2025-06-10",
            "starts_at_1": "09:30",
            "place": meeting.place,
            "objectives": meeting.objectives,
            "talking_points": meeting.talking_points,
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-MIN_NUM_FORMS": "1",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-id": str(row.pk),
            f"{prefix}-0-meeting": str(meeting.pk),
            f"{prefix}-0-partner": str(rich_partner.pk),
            f"{prefix}-0-ask": "Secure a pledge for 2027",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.ask == "Secure a pledge for 2027"
    assert list(meeting.partners.all()) == [rich_partner]


def test_the_meeting_form_hides_follow_ups_of_confidential_engagements(client, printer):
    from django.contrib.auth.models import Permission

    printer.is_staff = True
    printer.save()
    printer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reports")
    )
    partner = GovernmentFactory()
    secret = EngagementFactory(partners=[partner], confidential=True)
    FollowUpFactory(
        engagement=secret, partner=None, description="Raise the secret proposal"
    )
    meeting = MeetingFactory(partners=[partner])
    client.force_login(printer)

    page = client.get(f"/admin/reports/meeting/{meeting.pk}/change/")

    assert page.status_code == 200
    assert "Raise the secret proposal" not in page.content.decode()


def _usd_partner():
    """A USD pledge at one CHF rate, part paid when the rate had moved.

    Pledged USD 1,250,000.50 at 0.9 = CHF 1,125,000.45; USD 500,000 received
    at 0.8 = CHF 400,000.00, worth CHF 450,000.00 at the pledge's rate: an
    exchange difference of CHF 50,000.00 and CHF 675,000.45 outstanding.
    """
    ExchangeRateFactory(currency="USD", units_per_usd=Decimal("1"))
    ExchangeRateFactory(currency="CHF", units_per_usd=Decimal("0.9"))
    ExchangeRateFactory(
        currency="CHF",
        effective_date=dt.date(2025, 6, 1),
        units_per_usd=Decimal("0.8"),
    )
    partner = GovernmentFactory(name="Government of Sylvania", short_name="SYL")
    pledge = PledgeFactory(
        partner=partner,
        title="Connectivity fund",
        amount=Decimal("1250000.50"),
        currency="USD",
        pledged_on=dt.date(2025, 3, 1),
    )
    PaymentFactory(
        pledge=pledge,
        amount=Decimal("500000.00"),
        currency="USD",
        received_on=dt.date(2025, 9, 1),
    )
    return partner


def test_amounts_print_with_their_cents(officer):
    partner = _usd_partner()

    text = " ".join(
        pdf_pages(
            brief_print(request=BriefRequest.for_partners([partner.pk]), user=officer)[
                2
            ]
        )
    )

    assert "USD 1,250,000.50" in text
    assert "USD 1,250,001" not in text
    assert "CHF 1,125,000.45" in text


def test_pledged_equals_received_plus_exchange_difference_plus_outstanding(officer):
    partner = _usd_partner()

    text = " ".join(
        pdf_pages(
            brief_print(request=BriefRequest.for_partners([partner.pk]), user=officer)[
                2
            ]
        )
    )
    # Row by row or label column first, the four amounts come in this order.
    window = text[text.index("Pledged (firm)") :][:400]
    for label in ("Received", "Exchange difference", "Outstanding"):
        assert label in window, label
    figures = [
        Decimal(amount.replace(",", ""))
        for amount in re.findall(r"CHF (-?[\d,]+\.\d\d)", window)[:4]
    ]
    pledged, received, exchange, outstanding = figures
    assert (pledged, received, exchange, outstanding) == (
        Decimal("1125000.45"),
        Decimal("400000.00"),
        Decimal("50000.00"),
        Decimal("675000.45"),
    )
    assert pledged == received + exchange + outstanding


def test_file_names_carry_the_meeting_the_day_and_the_language(rich_partner, officer):
    meeting = MeetingFactory(title="Bilateral with Freedonia", partners=[rich_partner])
    today = timezone.localdate()

    assert print_meeting(meeting, officer, "en")[0] == (
        "pack_bilateral-with-freedonia_2025-06-10_en.pdf"
    )
    assert print_meeting(meeting, officer, "fr")[0] == (
        "pack_bilateral-with-freedonia_2025-06-10_fr.pdf"
    )
    brief = brief_print(
        request=BriefRequest.for_partners([rich_partner.pk], "fr"), user=officer
    )
    assert brief[0] == f"brief_frd_{today:%Y-%m-%d}_fr.pdf"


WORD = re.compile(
    r'<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
    r'yMax="([\d.]+)">([^<]*)</word>'
)


def overlaps(content: bytes) -> list[str]:
    """Words drawn over each other, read back from the PDF with their boxes."""
    pages: list[list[tuple[float, float, float, float, str]]] = []
    for match in WORD.finditer(_poppler("-bbox", content=content)):
        if match.group(0) == "<page ":
            pages.append([])
        else:
            x0, y0, x1, y1 = (float(g) for g in match.groups()[:4])
            pages[-1].append((x0, y0, x1, y1, html.unescape(match.group(5))))
    found = []
    for number, words in enumerate(pages, start=1):
        words.sort()
        for i, (_ax0, ay0, ax1, ay1, a) in enumerate(words):
            for bx0, by0, _bx1, by1, b in words[i + 1 :]:
                if bx0 >= ax1 - 0.5:
                    break  # sorted by left edge: no later word reaches back
                if min(ay1, by1) - max(ay0, by0) > 0.5 * min(ay1 - ay0, by1 - by0):
                    found.append(f"page {number}: {a!r} over {b!r}")
    return found


def test_the_overlap_check_sees_text_running_into_the_next_column():
    page = (
        '<table style="table-layout: fixed; width: 60mm"><tr>'
        '<td style="width: 15mm; white-space: nowrap">Séance d&#39;information</td>'
        "<td>Bilateral meeting</td></tr></table>"
    )

    assert overlaps(html_to_pdf(page).content)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_text_is_drawn_over_other_text_in_a_pack(rich_partner, officer, language):
    EngagementFactory(
        partners=[rich_partner],
        kind=Engagement.Kind.BRIEFING,
        date=dt.date(2025, 7, 1),
        subject="Ambassadors' briefing on the WSIS Forum",
    )
    _usd_partner()
    meeting = MeetingFactory(partners=[rich_partner, *_sylvania()])

    content = print_meeting(meeting, officer, language)[2]

    if language == "fr":
        assert "Séance d’information" in " ".join(pdf_pages(content))
    assert overlaps(content) == []


def _sylvania():
    from partners.models import Partner

    return list(Partner.objects.filter(short_name="SYL"))
