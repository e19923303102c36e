"""The partner page opens on an overview: figures, membership, contacts,
contact dates, follow-ups and timeline, read only, with the actions on top."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.lib.formats import format_money
from partners.models import Affiliation, Engagement, Membership
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    InstallmentFactory,
    MembershipFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    UnitValueFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def partner(db):
    year = timezone.localdate().year
    for y in (year - 2, year - 1, year):
        UnitValueFactory(year=y, member_state_unit_chf=Decimal("300000.00"))
    membership = MembershipFactory(
        partner__name="Republic of Sylvania",
        contribution_class=Decimal("1"),
        arrears_chf=Decimal("700000.00"),
        arrears_as_of=days(-30),
    )
    partner = membership.partner
    AffiliationFactory(
        partner=partner,
        role=Affiliation.Role.AMBASSADOR,
        position="Ambassador",
        contact=ContactFactory(title="H.E.", first_name="Yuko", last_name="Nakamura"),
    )
    AffiliationFactory(
        partner=partner,
        role=Affiliation.Role.AMBASSADOR,
        contact=ContactFactory(first_name="Old", last_name="Predecessor"),
        end_date=days(-400),
    )
    EngagementFactory(partners=[partner], subject="Courtesy call", date=days(-20))
    EngagementFactory(partners=[partner], subject="Pledging talk", date=days(10))
    FollowUpFactory(partner=partner, description="Send the letter", due_date=days(-3))
    FollowUpFactory(partner=partner, description="Call the capital", due_date=days(5))
    # 1,000 CHF pledged; 500 fell due long ago, 100 paid: 900 outstanding, 400 overdue.
    pledge = PledgeFactory(partner=partner, amount=Decimal("1000.00"))
    InstallmentFactory(pledge=pledge, due_date=days(-100), amount=Decimal("500.00"))
    InstallmentFactory(pledge=pledge, due_date=days(300), amount=Decimal("500.00"))
    PaymentFactory(pledge=pledge, received_on=days(-90), amount=Decimal("100.00"))
    return partner


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.find('<div class="module crm-panel"', start + 1)
    return html[start : end if end > 0 else None]


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_overview_shows_the_partner_at_a_glance(admin_client, partner):
    html = admin_client.get(partner.get_overview_url()).content.decode()

    figures = _squash(_section(html, "crm-key-figures"))
    for label, value in [
        ("Pledged", "1000.00"),
        ("Received", "100.00"),
        ("Outstanding", "900.00"),
        ("Overdue", "400.00"),
    ]:
        assert f"{label} {format_money(Decimal(value))}" in figures, label

    membership = _squash(_section(html, "crm-overview-membership"))
    assert "Member State" in membership
    assert format_money(Decimal("700000.00")) in membership
    assert str(Membership.ArrearsConsequence.VOTE_LOST.label) in membership

    contacts = _squash(_section(html, "crm-overview-contacts"))
    assert "H.E. Yuko Nakamura" in contacts and "Ambassador" in contacts
    assert "Predecessor" not in contacts

    dates = _squash(_section(html, "crm-overview-contact"))
    assert f"Last contact {days(-20):%Y-%m-%d}" in dates
    assert f"Next contact {days(10):%Y-%m-%d}" in dates
    assert "Open follow-ups 2 1 overdue" in dates
    assert "Send the letter" in _section(html, "crm-followups")
    assert "Courtesy call" in _section(html, "crm-engagements")


def test_the_actions_are_on_top_and_editing_is_one_click_away(admin_client, partner):
    html = admin_client.get(partner.get_overview_url()).content.decode()
    tools = html[html.index('class="object-tools"') : html.index("crm-overview-facts")]
    change = reverse("admin:partners_partner_change", args=[partner.pk])
    assert "Log engagement" in tools
    assert f"from_partner={partner.pk}" in tools
    assert f'href="{change}?from=overview"' in tools
    assert reverse("admin:reports_print_partner", args=[partner.pk]) in tools
    assert reverse("admin:partners_partner_history", args=[partner.pk]) in tools
    # The form is still where it was, and says where the overview is.
    form = admin_client.get(change)
    assert form.status_code == 200 and "adminform" in form.context
    assert partner.get_overview_url() in form.content.decode()


def test_lists_and_links_open_the_overview(admin_client, partner):
    listing = admin_client.get(reverse("admin:partners_partner_changelist"))
    assert f'href="{partner.get_overview_url()}' in listing.content.decode()
    assert partner.get_absolute_url() == partner.get_overview_url()


def test_saving_the_form_opened_from_the_overview_returns_to_it(admin_client, partner):
    url = reverse("admin:partners_partner_change", args=[partner.pk])
    form = admin_client.get(url + "?from=overview").context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k != "tags"
    } | _management(admin_client.get(url))
    data["name"] = "Republic of Sylvania (renamed)"
    data["country"] = partner.country_id
    response = admin_client.post(url + "?from=overview", data)
    assert response.status_code == 302, response.context["errors"]
    assert response["Location"] == partner.get_overview_url()
    partner.refresh_from_db()
    assert partner.name == "Republic of Sylvania (renamed)"


def _management(response) -> dict:
    data = {}
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update(
            {
                f"{fs.prefix}-TOTAL_FORMS": len(fs.forms),
                f"{fs.prefix}-INITIAL_FORMS": fs.initial_form_count(),
            }
        )
        for i, form in enumerate(fs.forms):
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if hasattr(value, "pk"):
                    value = value.pk
                if value is not None and not isinstance(value, bool):
                    data[f"{fs.prefix}-{i}-{name}"] = value
                elif value is True:
                    data[f"{fs.prefix}-{i}-{name}"] = "on"
    return data


def _grow(partner, n: int) -> None:
    staff = UserFactory(is_staff=True)
    for i in range(n):
        AffiliationFactory(partner=partner, role=Affiliation.Role.STAFF)
        engagement = EngagementFactory(
            partners=[partner], contacts=[ContactFactory()], date=days(-i - 1)
        )
        engagement.staff.set([staff])
        FollowUpFactory(partner=partner, engagement=engagement, due_date=days(i - 5))
        pledge = PledgeFactory(partner=partner)
        InstallmentFactory(pledge=pledge, due_date=days(-10))
        PaymentFactory(pledge=pledge, received_on=days(-5))


def _queries(client, partner) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(partner.get_overview_url()).status_code == 200
    return len(queries)


def test_the_overview_reads_the_same_number_of_queries_at_3_and_30_records(
    admin_client, django_assert_max_num_queries
):
    small, large = PartnerFactory(), PartnerFactory()
    _grow(small, 3)
    _grow(large, 30)
    _queries(admin_client, small)  # warm the session and caches
    assert _queries(admin_client, small) == _queries(admin_client, large)
    with django_assert_max_num_queries(25):
        admin_client.get(large.get_overview_url())


def test_confidential_engagements_stay_off_the_overview(client, partner, staff_user):
    secret = EngagementFactory(
        partners=[partner], subject="Zanzibar accord", confidential=True, date=days(-1)
    )
    FollowUpFactory(
        partner=partner, engagement=secret, description="Draft the Zanzibar letter"
    )
    client.force_login(staff_user)
    html = client.get(partner.get_overview_url()).content.decode()
    assert "Zanzibar" not in html
    # The last contact is the last one the user may see.
    assert f"{days(-20):%Y-%m-%d}" in _section(html, "crm-overview-contact")
    staff_user.user_permissions.add(
        *staff_user.user_permissions.model.objects.filter(
            codename="view_confidential_engagement"
        )
    )
    html = client.get(partner.get_overview_url()).content.decode()
    assert "Zanzibar accord" in html and "Draft the Zanzibar letter" in html


def test_the_overview_needs_the_view_permission(client, partner):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(partner.get_overview_url()).status_code == 403


def test_a_partner_without_pledges_or_membership_says_so(admin_client):
    html = admin_client.get(PartnerFactory().get_overview_url()).content.decode()
    assert "No pledges yet." in html
    assert "Not a member." in html
    assert "No contact in post." in html


# Log engagement from a partner, and back ----------------------------------


def _engagement_data(partner, **extra) -> dict:
    return {
        "date": f"{timezone.localdate():%Y-%m-%d}",
        "kind": Engagement.Kind.CALL,
        "subject": "Call about the renewal",
        "partners": [partner.pk],
        "followups-TOTAL_FORMS": 0,
        "followups-INITIAL_FORMS": 0,
        **extra,
    }


def _log_url(partner) -> str:
    query = f"partners={partner.pk}&from_partner={partner.pk}"
    return f"{reverse('admin:partners_engagement_add')}?{query}"


def test_log_engagement_opens_the_form_with_the_partner(admin_client, partner):
    url = _log_url(partner)
    form = admin_client.get(url).context["adminform"].form
    assert form.initial["partners"] == [str(partner.pk)]


def test_saving_an_engagement_started_from_a_partner_returns_to_it(
    admin_client, partner
):
    url = _log_url(partner)
    response = admin_client.post(url, _engagement_data(partner, _save="Save"))
    assert response.status_code == 302
    assert response["Location"] == partner.get_overview_url()
    page = admin_client.get(response["Location"])
    assert "Call about the renewal" in _section(
        page.content.decode(), "crm-engagements"
    )
    assert "was added successfully" in page.content.decode()


def test_save_and_add_another_keeps_the_partner(admin_client, partner):
    url = _log_url(partner)
    response = admin_client.post(url, _engagement_data(partner, _addanother="1"))
    assert response.status_code == 302
    assert response["Location"] == url
    assert Engagement.objects.filter(subject="Call about the renewal").count() == 1


def test_an_engagement_not_started_from_a_partner_goes_to_the_list(
    admin_client, partner
):
    response = admin_client.post(
        reverse("admin:partners_engagement_add"), _engagement_data(partner)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:partners_engagement_changelist")
