"""The pledge admin: lists, searches, filters, forms, actions, the partner page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Country
from partners.models import Partner
from pledges import services
from pledges.models import Installment, Lever, Payment, Pledge, PledgeReduction, Target
from tests.factories import (
    CountryFactory,
    InstallmentFactory,
    LeverFactory,
    PartnerFactory,
    PledgeFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
Stage = Pledge.Stage


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def url(model: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:pledges_{model}_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def pay(pledge, amount, on=None, currency=""):
    return services.pledge_record_payment(
        pledge=pledge,
        amount=D(amount),
        received_on=on or days(-30),
        currency=currency,
    )


@pytest.fixture
def home(db) -> Country:
    """One country for the many partners of a list (the factory's ISO-2 codes
    run out after 52 countries)."""
    return CountryFactory(
        iso3="ZZY", iso2="ZY", m49=898, name_en="Pledgeland", itu_region="AFR"
    )


def make_pledges(count: int, home: Country) -> list[Pledge]:
    """Pledges in EUR and CHF, each with a schedule, a payment and one overdue
    installment, for different partners and levers."""
    lever = LeverFactory(code="list-lever")
    pledges = []
    for index in range(count):
        pledge = PledgeFactory(
            partner=PartnerFactory(country=home),
            lever=lever if index % 2 else LeverFactory(),
            currency="EUR" if index % 2 else "CHF",
            amount=D("1000.00"),
            pledged_on=days(-200),
        )
        services.pledge_generate_schedule(
            pledge=pledge, count=4, frequency="quarterly", first_due=days(-150)
        )
        pay(pledge, "250.00", on=days(-140))
        pledges.append(pledge)
    return pledges


def assert_bounded(client, url: str, grow, django_assert_max_num_queries) -> int:
    """The same number of queries for 5 and 30 rows; returns that number."""
    grow(5)
    client.get(url)  # caches warmed: content types, permissions
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert response.status_code == 200
    grow(25)
    with django_assert_max_num_queries(len(five)):
        response = client.get(url)
    assert response.status_code == 200
    return len(five)


# Pledge list ------------------------------------------------------------------


def test_the_pledge_list_shows_amounts_received_share_and_overdue_marker(
    admin_client, rates, home
):
    pledge = make_pledges(1, home)[0]
    response = admin_client.get(url("pledge"))
    assert response.status_code == 200
    html = response.content.decode()
    assert pledge.title in html
    assert "CHF 1,000.00" in html
    assert "25\u00a0%" in html
    assert "crm-overdue" in html
    assert "CHF 250.00" in html  # overdue: 500 due, 250 received


def test_the_pledge_list_runs_the_same_queries_for_5_and_30_pledges(
    admin_client, rates, home, django_assert_max_num_queries
):
    queries = assert_bounded(
        admin_client,
        url("pledge"),
        lambda n: make_pledges(n, home),
        django_assert_max_num_queries,
    )
    assert queries <= 10


@pytest.mark.parametrize(
    "term", ["Northwind", "Trust fund", "AGR-2025-7", "PAY-REF-42", "NW-CODE"]
)
def test_pledges_are_found_by_partner_title_and_references(admin_client, term):
    partner = PartnerFactory(name="Northwind Telecom", code="NW-CODE")
    found = PledgeFactory(
        partner=partner, title="Trust fund for Giga", agreement_reference="AGR-2025-7"
    )
    services.pledge_record_payment(
        pledge=found,
        amount=D("10"),
        received_on=dt.date(2025, 4, 1),
        reference="PAY-REF-42",
    )
    services.pledge_record_payment(
        pledge=found,
        amount=D("10"),
        received_on=dt.date(2025, 4, 2),
        reference="PAY-REF-42b",
    )
    other = PledgeFactory(title="Unrelated sponsorship")
    response = admin_client.get(url("pledge"), {"q": term})
    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert results == [found]
    assert other not in results


def test_every_pledge_filter_selects_what_it_says(admin_client, rates, home):
    overdue = make_pledges(1, home)[0]
    region_partner = PartnerFactory(
        category=Partner.Category.FOUNDATION,
        country=CountryFactory(itu_region=Country.Region.ASP),
    )
    prospect = PledgeFactory(
        partner=region_partner,
        stage=Stage.PROSPECT,
        pledged_on=None,
        expected_by=dt.date(2024, 5, 1),
        kind=Pledge.Kind.IN_KIND,
        earmarking=Pledge.Earmarking.TIGHTLY_EARMARKED,
    )
    cases = {
        "stage__exact=prospect": prospect,
        f"lever__id__exact={prospect.lever_id}": prospect,
        "earmarking__exact=tightly_earmarked": prospect,
        "kind__exact=in_kind": prospect,
        "year=2024": prospect,
        "partner__country__itu_region__exact=ASP": prospect,
        "partner__category__exact=foundation": prospect,
        "overdue=yes": overdue,
        "overdue=no": prospect,
        f"partner={region_partner.pk}": prospect,
    }
    for query, expected in cases.items():
        response = admin_client.get(f"{url('pledge')}?{query}")
        assert response.status_code == 200, query
        assert list(response.context["cl"].result_list) == [expected], query


# Pledge form ------------------------------------------------------------------


def pledge_data(pledge: Pledge | None = None, **overrides) -> dict:
    """POST data for the pledge page, its inlines included as they stand."""
    data = {
        "title": "Voluntary contribution 2025",
        "stage": Stage.PLEDGED,
        "probability": "",
        "kind": Pledge.Kind.CASH,
        "earmarking": Pledge.Earmarking.UNEARMARKED,
        "purpose": "",
        "amount": "1000.00",
        "currency": "CHF",
        "pledged_on": "2025-03-01",
        "agreement_signed_on": "",
        "period_start": "",
        "period_end": "",
        "expected_by": "",
        "event": "",
        "owner": "",
        "agreement_reference": "",
        "notes": "",
        "closed_on": "",
        "closed_reason": "",
        "external_source": "",
        "external_id": "",
    }
    installments = list(pledge.installments.all()) if pledge else []
    payments = list(pledge.payments.all()) if pledge else []
    reductions = pledge.reductions.count() if pledge else 0
    if pledge is not None:
        data.update(
            {
                "partner": pledge.partner_id,
                "lever": pledge.lever_id,
                "title": pledge.title,
                "stage": pledge.stage,
                "probability": pledge.probability,
                "amount": str(pledge.amount),
                "currency": pledge.currency,
                "pledged_on": pledge.pledged_on.isoformat(),
            }
        )
    data.update(
        {
            "installments-TOTAL_FORMS": len(installments),
            "installments-INITIAL_FORMS": len(installments),
            "payments-TOTAL_FORMS": len(payments),
            "payments-INITIAL_FORMS": len(payments),
        }
    )
    if reductions:
        # Read only: the page posts the management form alone.
        data.update(
            {
                "reductions-TOTAL_FORMS": reductions,
                "reductions-INITIAL_FORMS": reductions,
            }
        )
    for index, installment in enumerate(installments):
        prefix = f"installments-{index}-"
        data.update(
            {
                f"{prefix}id": installment.pk,
                f"{prefix}pledge": pledge.pk,
                f"{prefix}due_date": installment.due_date.isoformat(),
                f"{prefix}amount": str(installment.amount),
                f"{prefix}note": installment.note,
            }
        )
    for index, payment in enumerate(payments):
        prefix = f"payments-{index}-"
        data.update(
            {
                f"{prefix}id": payment.pk,
                f"{prefix}pledge": pledge.pk,
                f"{prefix}received_on": payment.received_on.isoformat(),
                f"{prefix}amount": str(payment.amount),
                f"{prefix}currency": payment.currency,
                f"{prefix}installment": "",
                f"{prefix}reference": payment.reference,
            }
        )
    data.update(overrides)
    return data


def add_row(data: dict, prefix: str, **fields) -> dict:
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    data.update({f"{prefix}-{index}-{name}": value for name, value in fields.items()})
    return data


def test_the_add_pledge_page_opens_with_the_user_as_owner(admin_client, superuser):
    response = admin_client.get(url("pledge", "add"))
    assert response.status_code == 200
    assert response.context["adminform"].form.initial["owner"] == superuser.pk


def test_a_pledge_added_in_the_admin_gets_its_chf_equivalent(admin_client, rates):
    partner, lever = PartnerFactory(), LeverFactory()
    data = pledge_data(partner=partner.pk, lever=lever.pk, currency="EUR")
    response = admin_client.post(url("pledge", "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    pledge = Pledge.objects.get()
    assert (pledge.amount_chf, pledge.probability) == (D("800.00"), 75)


def test_a_pledge_in_a_currency_without_rate_is_refused_on_the_form(
    admin_client, rates
):
    data = pledge_data(
        partner=PartnerFactory().pk, lever=LeverFactory().pk, currency="SEK"
    )
    response = admin_client.post(url("pledge", "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["currency"][0]
    assert "SEK" in errors
    assert "2025-03-01" in errors
    assert not Pledge.objects.exists()


def test_a_schedule_above_the_amount_is_refused_on_the_form(admin_client):
    data = pledge_data(partner=PartnerFactory().pk, lever=LeverFactory().pk)
    add_row(data, "installments", due_date="2025-06-30", amount="600.00")
    add_row(data, "installments", due_date="2025-12-31", amount="400.01")
    response = admin_client.post(url("pledge", "add"), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "1000.01" in errors[0]
    assert not Pledge.objects.exists()


def test_a_schedule_can_be_reshaped_and_the_amount_lowered_in_one_save(
    admin_client,
):
    pledge = PledgeFactory(amount=D("1000.00"))
    first = InstallmentFactory(pledge=pledge, amount=D("500.00"))
    InstallmentFactory(pledge=pledge, amount=D("500.00"), due_date=dt.date(2025, 12, 1))
    data = pledge_data(pledge, amount="900.00")
    data["installments-0-amount"] = "300.00"
    data["installments-1-amount"] = "600.00"
    response = admin_client.post(url("pledge", "change", pledge.pk), data)
    assert response.status_code == 302
    assert Installment.objects.get(pk=first.pk).amount == D("300.00")
    assert Pledge.objects.get(pk=pledge.pk).amount == D("900.00")


def test_the_pledge_page_shows_what_was_received_and_what_is_overdue(
    admin_client, rates, home
):
    pledge = make_pledges(1, home)[0]
    response = admin_client.get(url("pledge", "change", pledge.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "CHF 250.00 received" in html
    assert "CHF 250.00 overdue" in html
    assert url("pledge", "schedule", pledge.pk) in html
    assert "covered" in html  # the first installment


def test_a_covering_payment_entered_inline_fulfils_the_pledge(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    data = pledge_data(pledge)
    add_row(
        data,
        "payments",
        received_on="2025-05-01",
        amount="1000.00",
        currency="",
        reference="FIN-1",
    )
    response = admin_client.post(url("pledge", "change", pledge.pk), data)
    assert response.status_code == 302
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert pledge.stage == Stage.FULFILLED
    assert pledge.payments.get().currency == "CHF"
    assert any("Fulfilled" in m for m in messages_of(response))


def test_an_inline_refund_reopens_a_fulfilled_pledge(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "1000.00", on=dt.date(2025, 5, 1))
    pledge = Pledge.objects.get(pk=pledge.pk)
    data = pledge_data(pledge)
    add_row(data, "payments", received_on="2025-06-01", amount="-200.00", currency="")
    response = admin_client.post(url("pledge", "change", pledge.pk), data)
    assert response.status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).stage == Stage.PLEDGED


def test_an_inline_payment_on_a_withdrawn_pledge_is_refused(admin_client):
    pledge = PledgeFactory(stage=Stage.WITHDRAWN, closed_reason="Budget cut")
    data = pledge_data(pledge, closed_reason="Budget cut")
    add_row(data, "payments", received_on="2025-06-01", amount="10.00", currency="")
    response = admin_client.post(url("pledge", "change", pledge.pk), data)
    assert response.status_code == 200
    assert not Payment.objects.exists()


# Pledge actions ---------------------------------------------------------------


def run_action(client, action: str, pledges, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in pledges], **extra}
    return client.post(url("pledge"), data)


def test_the_schedule_action_asks_for_count_frequency_and_first_due(admin_client):
    pledge = PledgeFactory()
    response = run_action(admin_client, "generate_schedule", [pledge])
    assert response.status_code == 200
    assert response.template_name == "admin/pledges/pledge/schedule.html"
    assert set(response.context["form"].fields) == {
        "count",
        "frequency",
        "first_due",
        "replace",
    }


def test_the_schedule_action_splits_each_selected_pledge(admin_client):
    first = PledgeFactory(amount=D("1000.00"))
    second = PledgeFactory(amount=D("100.00"))
    response = run_action(
        admin_client,
        "generate_schedule",
        [first, second],
        apply="1",
        count="3",
        frequency="quarterly",
        first_due="2025-01-31",
    )
    assert response.status_code == 302
    assert list(first.installments.values_list("amount", flat=True)) == [
        D("333.34"),
        D("333.33"),
        D("333.33"),
    ]
    assert second.installments.count() == 3
    assert "Schedules generated for 2 pledges." in messages_of(response)
    assert LogEntry.objects.filter(object_id=str(first.pk)).get().get_change_message()


def test_the_schedule_action_reports_the_pledges_it_left_alone(admin_client):
    pledge = PledgeFactory()
    InstallmentFactory(pledge=pledge)
    response = run_action(
        admin_client,
        "generate_schedule",
        [pledge],
        apply="1",
        count="2",
        frequency="yearly",
        first_due="2025-01-31",
    )
    assert response.status_code == 302
    assert any("already has 1 installments" in m for m in messages_of(response))
    assert pledge.installments.count() == 1


def test_the_schedule_action_shows_form_errors_again(admin_client):
    pledge = PledgeFactory()
    response = run_action(
        admin_client,
        "generate_schedule",
        [pledge],
        apply="1",
        count="0",
        frequency="yearly",
        first_due="2025-01-31",
    )
    assert response.status_code == 200
    assert "count" in response.context["form"].errors


def test_the_schedule_page_of_one_pledge_returns_to_it(admin_client):
    pledge = PledgeFactory(amount=D("1200.00"))
    page = url("pledge", "schedule", pledge.pk)
    assert admin_client.get(page).status_code == 200
    response = admin_client.post(
        page,
        {"count": "12", "frequency": "monthly", "first_due": "2025-01-31"},
    )
    assert response.status_code == 302
    assert response.url == url("pledge", "change", pledge.pk)
    assert pledge.installments.count() == 12
    assert pledge.installments.last().due_date == dt.date(2025, 12, 31)


def test_the_schedule_page_needs_the_change_permission(client, staff_user):
    pledge = PledgeFactory()
    client.force_login(staff_user)  # has no pledges permissions
    response = client.get(url("pledge", "schedule", pledge.pk))
    assert response.status_code in (403, 404)


@pytest.mark.parametrize(
    ("action", "stage"),
    [("mark_declined", Stage.DECLINED), ("mark_withdrawn", Stage.WITHDRAWN)],
)
def test_the_close_actions_ask_for_a_reason_and_keep_it(admin_client, action, stage):
    pledge = PledgeFactory()
    page = run_action(admin_client, action, [pledge])
    assert page.status_code == 200
    assert page.template_name == "admin/pledges/pledge/close.html"
    refused = run_action(admin_client, action, [pledge], apply="1", on="2025-09-01")
    assert refused.status_code == 200
    assert "reason" in refused.context["form"].errors
    response = run_action(
        admin_client,
        action,
        [pledge],
        apply="1",
        reason="Budget cut for 2026",
        on="2025-09-01",
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert (pledge.stage, pledge.closed_reason) == (stage, "Budget cut for 2026")
    assert pledge.closed_on == dt.date(2025, 9, 1)
    assert "1 pledge closed." in messages_of(response)
    logged = LogEntry.objects.get(object_id=str(pledge.pk))
    assert logged.get_change_message() == (
        f"Marked {stage.label.lower()}: Budget cut for 2026"
    )


def test_a_fulfilled_pledge_is_left_open_by_the_close_action_with_a_warning(
    admin_client,
):
    pledge = PledgeFactory(amount=D("10.00"))
    pay(pledge, "10.00", on=dt.date(2025, 4, 1))
    response = run_action(
        admin_client,
        "mark_withdrawn",
        [pledge],
        apply="1",
        reason="Too late",
        on="2025-09-01",
    )
    assert response.status_code == 302
    assert any("only open pledges" in m for m in messages_of(response))
    assert Pledge.objects.get(pk=pledge.pk).stage == Stage.FULFILLED


# Installments -----------------------------------------------------------------


def test_the_installment_list_shows_paid_and_overdue(admin_client, rates, home):
    make_pledges(1, home)
    response = admin_client.get(url("installment"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "covered" in html
    assert "overdue" in html


def test_the_installment_list_runs_the_same_queries_for_5_and_30_pledges(
    admin_client, rates, home, django_assert_max_num_queries
):
    queries = assert_bounded(
        admin_client,
        url("installment"),
        lambda n: make_pledges(n, home),
        django_assert_max_num_queries,
    )
    assert queries <= 10


def test_installment_filters_and_search(admin_client, rates, home):
    pledge = make_pledges(1, home)[0]
    installments = list(pledge.installments.order_by("due_date"))
    expected = {
        "status=overdue": [installments[1]],
        "status=covered": [installments[0]],
        "status=owed": installments[1:],
        f"partner={pledge.partner_id}": installments,
        f"q={pledge.partner.name}": installments,
        f"year={installments[0].due_date.year}": [
            i for i in installments if i.due_date.year == installments[0].due_date.year
        ],
    }
    for query, rows in expected.items():
        response = admin_client.get(f"{url('installment')}?{query}")
        assert response.status_code == 200, query
        assert set(response.context["cl"].result_list) == set(rows), query
    soon = admin_client.get(f"{url('installment')}?status=soon")
    assert soon.status_code == 200


def test_an_installment_is_added_and_changed_within_the_pledge_amount(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    add = url("installment", "add")
    assert admin_client.get(add).status_code == 200
    refused = admin_client.post(
        add, {"pledge": pledge.pk, "due_date": "2025-06-30", "amount": "1000.01"}
    )
    assert refused.status_code == 200
    response = admin_client.post(
        add, {"pledge": pledge.pk, "due_date": "2025-06-30", "amount": "1000.00"}
    )
    assert response.status_code == 302
    installment = Installment.objects.get()
    change = url("installment", "change", installment.pk)
    assert admin_client.get(change).status_code == 200
    response = admin_client.post(
        change,
        {"pledge": pledge.pk, "due_date": "2025-07-31", "amount": "900.00"},
    )
    assert response.status_code == 302
    assert Installment.objects.get().due_date == dt.date(2025, 7, 31)


# Payments ---------------------------------------------------------------------


def test_the_payment_list_runs_the_same_queries_for_5_and_30_pledges(
    admin_client, rates, home, django_assert_max_num_queries
):
    queries = assert_bounded(
        admin_client,
        url("payment"),
        lambda n: make_pledges(n, home),
        django_assert_max_num_queries,
    )
    assert queries <= 11


def test_payment_filters_and_search(admin_client, rates, home):
    pledge = make_pledges(2, home)[1]  # in EUR
    payment = pledge.payments.get()
    refund = pay(pledge, "-50.00", on=days(-10))
    cases = {
        "refund=yes": [refund],
        "refund=no": list(Payment.objects.filter(amount__gt=0)),
        "currency__exact=EUR": [payment, refund],
        f"pledge__lever__id__exact={pledge.lever_id}": [payment, refund],
        f"partner={pledge.partner_id}": [payment, refund],
        f"q={pledge.partner.name}": [payment, refund],
        f"year={payment.received_on.year}": list(
            Payment.objects.filter(received_on__year=payment.received_on.year)
        ),
    }
    for query, rows in cases.items():
        response = admin_client.get(f"{url('payment')}?{query}")
        assert response.status_code == 200, query
        assert set(response.context["cl"].result_list) == set(rows), query
    html = admin_client.get(url("payment")).content.decode()
    assert "refund" in html


def test_a_payment_added_in_the_admin_converts_and_fulfils(admin_client, rates):
    pledge = PledgeFactory(currency="EUR", amount=D("100.00"))
    add = url("payment", "add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(
        add,
        {
            "pledge": pledge.pk,
            "installment": "",
            "received_on": "2025-06-01",
            "amount": "100.00",
            "currency": "USD",
            "reference": "FIN-9",
            "notes": "",
            "external_source": "",
            "external_id": "",
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount_chf, payment.amount_in_pledge_currency) == (
        D("80.00"),
        D("100.00"),
    )
    assert Pledge.objects.get(pk=pledge.pk).stage == Stage.FULFILLED
    change = url("payment", "change", payment.pk)
    assert admin_client.get(change).status_code == 200
    response = admin_client.post(
        change,
        {
            "pledge": pledge.pk,
            "installment": "",
            "received_on": "2025-06-01",
            "amount": "50.00",
            "currency": "USD",
            "reference": "FIN-9",
        },
    )
    assert response.status_code == 302
    assert Payment.objects.get().amount_chf == D("40.00")
    assert Pledge.objects.get(pk=pledge.pk).stage == Stage.PLEDGED


def test_a_payment_without_rate_is_refused_on_the_form(admin_client, rates):
    pledge = PledgeFactory(currency="EUR")
    response = admin_client.post(
        url("payment", "add"),
        {
            "pledge": pledge.pk,
            "received_on": "2025-06-01",
            "amount": "100.00",
            "currency": "NOK",
        },
    )
    assert response.status_code == 200
    assert "NOK" in response.context["adminform"].form.errors["currency"][0]
    assert not Payment.objects.exists()


def test_deleting_a_payment_in_the_admin_reopens_the_pledge(admin_client):
    pledge = PledgeFactory(amount=D("100.00"))
    payment = pay(pledge, "100.00", on=dt.date(2025, 4, 1))
    response = admin_client.post(url("payment", "delete", payment.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).stage == Stage.PLEDGED


def test_deleting_payments_in_bulk_reopens_their_pledges(admin_client):
    pledge = PledgeFactory(amount=D("100.00"))
    payment = pay(pledge, "100.00", on=dt.date(2025, 4, 1))
    response = admin_client.post(
        url("payment"),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [payment.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Payment.objects.exists()
    assert Pledge.objects.get(pk=pledge.pk).stage == Stage.PLEDGED


# Reductions -------------------------------------------------------------------


def reduce(pledge, by, on=dt.date(2025, 9, 1), reason="Budget cut", **kwargs):
    return services.pledge_reduce(
        pledge=pledge, by=D(by), on=on, reason=reason, **kwargs
    )


def test_the_page_of_a_reduced_pledge_lists_its_reductions_read_only(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    reduce(pledge, "100.00", external_source="fts", external_id="401004")
    reduce(Pledge.objects.get(pk=pledge.pk), "50.00", on=dt.date(2025, 10, 1))
    response = admin_client.get(url("pledge", "change", pledge.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reductions:" in html
    assert "CHF 1,000.00 pledged, CHF 150.00 taken off by 2 reductions" in html
    (inline,) = [
        f
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "reductions"
    ]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert len(inline.formset.forms) == 2
    assert "fts 401004" in html
    assert url("pledgereduction", "change", pledge.reductions.first().pk) in html
    assert url("pledge", "reduce", pledge.pk) in html


def test_the_page_of_a_pledge_never_reduced_has_no_reductions(admin_client):
    pledge = PledgeFactory()
    response = admin_client.get(url("pledge", "change", pledge.pk))
    prefixes = [f.formset.prefix for f in response.context["inline_admin_formsets"]]
    assert prefixes == ["installments", "payments", "documents"]
    assert "Reductions:" not in response.content.decode()


def test_saving_a_reduced_pledge_leaves_its_reductions_alone(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    reduction = reduce(pledge, "100.00")
    data = pledge_data(Pledge.objects.get(pk=pledge.pk), notes="Letter received")
    data["reductions-0-id"] = reduction.pk
    data["reductions-0-amount"] = "1.00"
    data["reductions-0-reason"] = "Typed in"
    response = admin_client.post(url("pledge", "change", pledge.pk), data)
    assert response.status_code == 302
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert (pledge.amount, pledge.notes) == (D("900.00"), "Letter received")
    reduction = PledgeReduction.objects.get()
    assert (reduction.amount, reduction.reason) == (D("100.00"), "Budget cut")


def test_a_withdrawn_pledge_says_which_reduction_withdrew_it(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    reduce(pledge, "1000.00", reason="Cancelled")
    response = admin_client.get(url("pledge", "change", pledge.pk))
    html = response.content.decode()
    assert "pledged, CHF" not in html  # nothing came off the amount
    assert "Withdrawn by the reduction of 2025-09-01" in html
    assert url("pledge", "reduce", pledge.pk) not in html  # closed


def test_the_reduce_page_lowers_the_amount_and_returns_to_the_pledge(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    page = url("pledge", "reduce", pledge.pk)
    form = admin_client.get(page)
    assert form.status_code == 200
    assert form.template_name == "admin/pledges/pledge/reduce.html"
    response = admin_client.post(
        page, {"amount": "250.00", "on": "2025-09-01", "reason": "Budget cut"}
    )
    assert response.status_code == 302
    assert response.url == url("pledge", "change", pledge.pk)
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert pledge.amount == D("750.00")
    reduction = pledge.reductions.get()
    assert (reduction.amount, reduction.reduced_on, reduction.reason) == (
        D("250.00"),
        dt.date(2025, 9, 1),
        "Budget cut",
    )
    assert (reduction.external_source, reduction.external_id) == ("", "")
    assert "Reduced by CHF 250.00: Budget cut" in messages_of(response)
    logged = LogEntry.objects.get(object_id=str(pledge.pk))
    assert logged.get_change_message() == "Reduced by CHF 250.00: Budget cut"


def test_the_reduce_page_withdraws_a_pledge_cut_to_nothing(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    response = admin_client.post(
        url("pledge", "reduce", pledge.pk),
        {"amount": "1000.00", "on": "2025-09-01", "reason": "Cancelled"},
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert (pledge.stage, pledge.closed_reason) == (Stage.WITHDRAWN, "Cancelled")
    assert "Withdrawn by a reduction of CHF 1,000.00: Cancelled" in messages_of(
        response
    )


def test_the_reduce_page_shows_what_the_service_refuses(admin_client):
    pledge = PledgeFactory(amount=D("1000.00"))
    pay(pledge, "100.00", on=dt.date(2025, 4, 1))
    response = admin_client.post(
        url("pledge", "reduce", pledge.pk),
        {"amount": "1000.00", "on": "2025-09-01", "reason": "Cancelled"},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "record the refund first" in errors[0]
    assert not PledgeReduction.objects.exists()
    assert "CHF 1,000.00" in response.content.decode()  # as it stands


def test_the_reduce_page_needs_the_change_permission(client, staff_user):
    pledge = PledgeFactory()
    client.force_login(staff_user)  # has no pledges permissions
    response = client.get(url("pledge", "reduce", pledge.pk))
    assert response.status_code in (403, 404)


def make_reductions(count: int, home: Country) -> list[PledgeReduction]:
    """One reduction each on pledges of different partners, some imported."""
    return [
        reduce(
            PledgeFactory(partner=PartnerFactory(country=home)),
            "100.00",
            external_source="fts" if index % 2 else "",
            external_id=f"R{index}-{PledgeReduction.objects.count()}"
            if index % 2
            else "",
        )
        for index in range(count)
    ]


def test_the_reduction_list_runs_the_same_queries_for_5_and_30_reductions(
    admin_client, home, django_assert_max_num_queries
):
    queries = assert_bounded(
        admin_client,
        url("pledgereduction"),
        lambda n: make_reductions(n, home),
        django_assert_max_num_queries,
    )
    assert queries <= 11


def test_reduction_filters_and_search(admin_client, home):
    by_hand, imported = make_reductions(2, home)
    old = reduce(
        PledgeFactory(pledged_on=dt.date(2023, 2, 1)),
        "1000.00",
        on=dt.date(2023, 5, 1),
        reason="Ministry cancelled it",
    )
    cases = {
        "withdraws__exact=1": [old],
        "external_source__exact=fts": [imported],
        f"partner={by_hand.pledge.partner_id}": [by_hand],
        f"pledge__lever__id__exact={old.pledge.lever_id}": [old],
        "year=2023": [old],
        f"q={imported.external_id}": [imported],
        "q=ministry": [old],
        f"q={by_hand.pledge.title}": [by_hand],
    }
    for query, rows in cases.items():
        response = admin_client.get(f"{url('pledgereduction')}?{query}")
        assert response.status_code == 200, query
        assert list(response.context["cl"].result_list) == rows, query


def test_reductions_are_read_only_in_the_admin_and_keep_a_history(admin_client):
    reduction = reduce(PledgeFactory(), "100.00")
    page = admin_client.get(url("pledgereduction", "change", reduction.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.get(url("pledgereduction", "add")).status_code == 403
    delete = url("pledgereduction", "delete", reduction.pk)
    assert admin_client.get(delete).status_code == 403
    history = admin_client.get(url("pledgereduction", "history", reduction.pk))
    assert history.status_code == 200
    assert reduction.history.get().history_type == "+"


# Levers and targets -----------------------------------------------------------


def test_the_lever_list_shows_this_year_s_target_received_and_pipeline(admin_client):
    year = today().year
    lever = Lever.objects.get(code="unearmarked")
    TargetFactory(lever=lever, year=year, amount_chf=D("4000.00"))
    pledge = PledgeFactory(lever=lever, amount=D("3000.00"), pledged_on=days(-1))
    pay(pledge, "1000.00", on=days(-1))
    response = admin_client.get(url("lever"))
    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == lever.pk)
    assert (row.target_chf, row.received_chf) == (D("4000.00"), D("1000.00"))
    assert row.weighted_pipeline_chf == D("1500.00")  # 2000 outstanding at 75%
    html = response.content.decode()
    assert "25\u00a0%" in html  # received / target
    assert "62\u00a0%" in html  # with the weighted pipeline: 2500 / 4000
    payments = admin_client.get(
        url("payment"), {"pledge__lever__id__exact": lever.pk, "year": year}
    )
    assert list(payments.context["cl"].result_list) == list(pledge.payments.all())
    pipeline = admin_client.get(
        url("pledge"),
        {
            "lever__id__exact": lever.pk,
            "year": year,
            "stage__in": ",".join(Pledge.Stage.OPEN),
        },
    )
    assert list(pipeline.context["cl"].result_list) == [pledge]


def test_the_lever_list_shows_another_year_on_request(admin_client):
    lever = Lever.objects.get(code="earmarked")
    TargetFactory(lever=lever, year=2024, amount_chf=D("123456.00"))
    response = admin_client.get(url("lever"), {"year": "2024"})
    assert response.status_code == 200
    assert "123,456.00" in response.content.decode()


def test_the_lever_list_runs_the_same_queries_for_5_and_30_levers(
    admin_client, django_assert_max_num_queries
):
    def grow(n):
        for _ in range(n):
            pledge = PledgeFactory(lever=LeverFactory(), pledged_on=days(-1))
            pay(pledge, "10.00", on=days(-1))

    queries = assert_bounded(
        admin_client, url("lever"), grow, django_assert_max_num_queries
    )
    assert queries <= 6


def test_levers_are_searched_added_and_changed(admin_client):
    response = admin_client.get(url("lever"), {"q": "Partner2Connect"})
    assert [lever.code for lever in response.context["cl"].result_list] == [
        "partner2connect"
    ]
    assert admin_client.get(url("lever", "add")).status_code == 200
    response = admin_client.post(
        url("lever", "add"),
        {
            "code": "digital-coalition",
            "name": "Digital coalitions",
            "description": "",
            "position": "8",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    lever = Lever.objects.get(code="digital-coalition")
    change = url("lever", "change", lever.pk)
    assert admin_client.get(change).status_code == 200
    response = admin_client.post(
        change,
        {"code": lever.code, "name": "Coalitions", "description": "", "position": "8"},
    )
    assert response.status_code == 302
    assert not Lever.objects.get(pk=lever.pk).is_active


def test_the_target_list_shows_progress_for_levers_and_overall(admin_client):
    year = today().year
    lever = Lever.objects.get(code="unearmarked")
    TargetFactory(lever=lever, year=year, amount_chf=D("2000.00"))
    TargetFactory(lever=None, year=year, amount_chf=D("10000.00"))
    pledge = PledgeFactory(lever=lever, amount=D("3000.00"), pledged_on=days(-1))
    pay(pledge, "1000.00", on=days(-1))
    response = admin_client.get(url("target"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "All levers" in html
    assert "50\u00a0%" in html  # 1000 / 2000
    assert "10\u00a0%" in html  # 1000 / 10000


def test_the_target_list_runs_the_same_queries_for_5_and_30_targets(
    admin_client, django_assert_max_num_queries
):
    def grow(n):
        for _ in range(n):
            TargetFactory(lever=LeverFactory(), year=2025)

    queries = assert_bounded(
        admin_client, url("target"), grow, django_assert_max_num_queries
    )
    assert queries <= 8


def test_targets_are_searched_added_and_changed(admin_client):
    TargetFactory(lever=Lever.objects.get(code="in-kind"), year=2025)
    response = admin_client.get(url("target"), {"q": "in-kind"})
    assert len(response.context["cl"].result_list) == 1
    assert admin_client.get(url("target", "add")).status_code == 200
    response = admin_client.post(
        url("target", "add"),
        {"year": "2026", "lever": "", "amount_chf": "25000000.00", "notes": ""},
    )
    assert response.status_code == 302
    target = Target.objects.get(lever=None)
    change = url("target", "change", target.pk)
    assert admin_client.get(change).status_code == 200
    response = admin_client.post(
        change, {"year": "2026", "lever": "", "amount_chf": "30000000.00"}
    )
    assert response.status_code == 302
    assert Target.objects.get(pk=target.pk).amount_chf == D("30000000.00")
    refused = admin_client.post(
        url("target", "add"),
        {"year": "2026", "lever": "", "amount_chf": "1.00", "notes": ""},
    )
    assert refused.status_code == 200  # one overall target a year


# The partner admin ------------------------------------------------------------


def test_the_partner_page_shows_the_pledges_and_payments_panel(
    admin_client, rates, home
):
    pledge = make_pledges(2, home)[1]  # EUR 1000 pledged 200 days ago
    PledgeFactory(
        partner=pledge.partner,
        stage=Stage.PROPOSAL,
        pledged_on=None,
        title="Smart Villages phase II",
        amount=D("5000.00"),
    )
    response = admin_client.get(
        reverse("admin:partners_partner_change", args=[pledge.partner_id])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pledges and payments" in html
    assert "Smart Villages phase II" in html  # the pipeline
    assert "50\u00a0%" in html  # its probability
    assert "installments overdue" in html or "installment overdue" in html
    assert "EUR" in html
    assert html.index("Pledges and payments") < html.index("Engagement timeline")


def test_the_partner_page_says_when_there_are_no_pledges(admin_client):
    partner = PartnerFactory()
    response = admin_client.get(
        reverse("admin:partners_partner_change", args=[partner.pk])
    )
    assert "No pledges recorded yet." in response.content.decode()


def test_the_partner_list_shows_roll_ups_in_bounded_queries(
    admin_client, rates, home, django_assert_max_num_queries
):
    queries = assert_bounded(
        admin_client,
        reverse("admin:partners_partner_changelist"),
        lambda n: make_pledges(n, home),
        django_assert_max_num_queries,
    )
    assert queries <= 14
    response = admin_client.get(reverse("admin:partners_partner_changelist"))
    html = response.content.decode()
    assert "received, lifetime (CHF)" in html.lower() or "Received, lifetime" in html
    row = next(iter(response.context["cl"].result_list))
    assert row.lifetime_received_chf in (D("250.00"), D("200.00"))


def test_the_partner_list_filters_on_pledges(admin_client, rates, home):
    overdue = make_pledges(1, home)[0].partner
    quiet = PartnerFactory(country=home)
    for value, expected in [("overdue", overdue), ("none", quiet)]:
        response = admin_client.get(
            reverse("admin:partners_partner_changelist"), {"pledges": value}
        )
        assert response.status_code == 200
        assert expected in response.context["cl"].result_list
    open_ = admin_client.get(
        reverse("admin:partners_partner_changelist"), {"pledges": "open"}
    )
    assert list(open_.context["cl"].result_list) == [overdue]


def test_the_start_page_shows_levers_and_overdue_installments(
    admin_client, rates, home
):
    pledge = make_pledges(1, home)[0]
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Resource mobilization {today().year}" in html
    assert "Overdue installments" in html
    assert pledge.title in html
