"""The statement of account page, its XLSX and its PDF letter."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from crm.lib.names import user_name
from crm.models import ExportLog
from tests.factories import (
    ExchangeRateFactory,
    InstallmentFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    UserFactory,
)
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def partner(db):
    # CHF per EUR: 0.8 / 1.0 = 0.8 from 2025.
    ExchangeRateFactory(
        currency="CHF", effective_date=dt.date(2025, 1, 1), units_per_usd=D("0.8")
    )
    ExchangeRateFactory(
        currency="EUR", effective_date=dt.date(2025, 1, 1), units_per_usd=D("1")
    )
    partner = PartnerFactory(name="Kingdom of Ruritania")
    pledge = PledgeFactory(
        partner=partner, title="Digital skills", amount=D("2000"), currency="EUR"
    )
    InstallmentFactory(pledge=pledge, due_date=dt.date(2025, 6, 30), amount=D("2000"))
    PaymentFactory(pledge=pledge, amount=D("500.00"))
    return partner


def url(fmt: str | None = None, **params) -> str:
    from django.utils.http import urlencode

    address = (
        reverse("reports_statement_download", args=[fmt])
        if fmt
        else reverse("reports_statement")
    )
    return f"{address}?{urlencode(params)}" if params else address


def test_the_page_shows_a_partner_in_its_currency_and_in_chf(admin_client, partner):
    response = admin_client.get(url(partner=partner.pk, as_of="2025-09-01"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Kingdom of Ruritania" in text
    assert "EUR 1,500.00" in text  # outstanding, and overdue
    assert "1,200.00" in text  # CHF at the pledge's rate


def test_the_partner_page_and_the_reports_list_link_to_it(admin_client, partner):
    change = admin_client.get(
        reverse("admin:partners_partner_change", args=[partner.pk])
    )
    index = admin_client.get(reverse("reports_index"))

    assert (
        f"{reverse('reports_statement')}?partner={partner.pk}"
        in change.content.decode()
    )
    assert reverse("reports_statement") in index.content.decode()


def test_an_unknown_partner_or_date_is_named_and_nothing_is_shown(
    admin_client, partner
):
    response = admin_client.get(url(partner=999999, as_of="2025-13-45"))

    text = response.content.decode()
    assert "No partner has the id 999999" in text
    assert response.context["statement"] is None
    download = admin_client.get(url("xlsx", partner=999999))
    assert download.status_code == 400
    assert "999999" in download.content.decode()


def test_it_needs_the_pledge_view_permission(client, partner):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_partner"))
    client.force_login(user)

    assert client.get(url()).status_code == 403
    assert client.get(url("pdf")).status_code == 403


def test_a_user_who_may_not_export_sees_the_page_but_no_downloads(client, partner):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_pledge"))
    client.force_login(user)

    page = client.get(url())
    assert page.status_code == 200
    assert "download.xlsx" not in page.content.decode()
    assert client.get(url("xlsx")).status_code == 403


def test_the_xlsx_says_what_it_is_and_reads_back(admin_client, superuser, partner):
    response = admin_client.get(url("xlsx", partner=partner.pk, as_of="2025-09-01"))

    assert response["Content-Disposition"] == (
        'attachment; filename="statement_kingdom-of-ruritania_2025-09-01_en.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Statement of account"
    assert rows[1][:2] == ["Partner", "Kingdom of Ruritania"]
    assert rows[2][:2] == ["As of", "2025-09-01"]
    assert rows[3][0] == "Produced" and rows[3][2] == user_name(superuser)
    header = rows[5]
    pledge = dict(zip(header, rows[6], strict=True))
    assert pledge["Pledge"] == "Digital skills"
    assert (pledge["Currency"], pledge["Outstanding"], pledge["Overdue"]) == (
        "EUR",
        1500,
        1500,
    )
    assert pledge["Outstanding (CHF)"] == 1200
    assert rows[-1][0] == "Total in CHF" and rows[-1][-2:] == [1200, 1200]
    assert ExportLog.objects.filter(file_format="xlsx").count() == 1


def test_the_pdf_is_a_letter_in_the_language_chosen(admin_client, partner):
    english = admin_client.get(url("pdf", partner=partner.pk, as_of="2025-09-01"))
    french = admin_client.get(
        url("pdf", partner=partner.pk, as_of="2025-09-01", language="fr")
    )

    assert english["Content-Type"] == "application/pdf"
    assert english["Content-Disposition"].endswith('2025-09-01_en.pdf"')
    assert french["Content-Disposition"].endswith('2025-09-01_fr.pdf"')
    text = pdf_text(english.content)
    assert "Statement of account" in text
    assert "Kingdom of Ruritania" in text
    assert "EUR 1,500.00" in text
    french_text = pdf_text(french.content)
    assert "1 500,00" in french_text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("pledges", [3, 30])
def test_the_page_makes_the_same_queries_at_3_and_30_pledges(
    admin_client, partner, pledges, django_assert_max_num_queries
):
    for n in range(pledges):
        pledge = PledgeFactory(partner=PartnerFactory(), amount=D("100"))
        InstallmentFactory(pledge=pledge, amount=D("100"))
        PaymentFactory(pledge=pledge, amount=D(n + 1))
    admin_client.get(url())  # warm the session and content types

    with django_assert_max_num_queries(12):
        response = admin_client.get(url())

    assert response.status_code == 200
    assert len(response.context["statement"].pledges) == pledges + 1
