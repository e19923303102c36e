"""The reference-data admin: countries, aliases, exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Country, CountryAlias, ExchangeRate
from tests.factories import CountryAliasFactory, CountryFactory, ExchangeRateFactory

pytestmark = pytest.mark.django_db


def changelist(model: str) -> str:
    return reverse(f"admin:crm_{model}_changelist")


def country_rows(n: int) -> None:
    for _ in range(n):
        country = CountryFactory()
        CountryAliasFactory(country=country)
        CountryAliasFactory(country=country)


def alias_rows(n: int) -> None:
    for _ in range(n):
        CountryAliasFactory(country=CountryFactory())


def rate_rows(n: int) -> None:
    start = dt.date(2020, 1, 1)
    offset = ExchangeRate.objects.count()
    for i in range(n):
        ExchangeRateFactory(
            currency="EUR", effective_date=start + dt.timedelta(days=offset + i)
        )


ROWS = {"country": country_rows, "countryalias": alias_rows, "exchangerate": rate_rows}


@pytest.mark.parametrize("model", sorted(ROWS))
def test_every_changelist_lists_searches_and_opens_its_pages(admin_client, model):
    ROWS[model](2)
    assert admin_client.get(changelist(model)).status_code == 200
    assert admin_client.get(changelist(model), {"q": "e"}).status_code == 200
    assert admin_client.get(changelist(model), {"_facets": "1"}).status_code == 200
    assert admin_client.get(reverse(f"admin:crm_{model}_add")).status_code == 200
    obj = admin_client.get(changelist(model)).context["cl"].result_list[0]
    url = reverse(f"admin:crm_{model}_change", args=[obj.pk])
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("model", sorted(ROWS))
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_max_num_queries, model
):
    ROWS[model](5)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(changelist(model))
    ROWS[model](25)
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(changelist(model))
    assert response.context["cl"].result_count == 30
    assert len(few) <= 10


def test_country_search_by_code_name_and_alias(admin_client):
    korea = CountryFactory(iso3="KOR", iso2="KR", m49=410, name_en="Republic of Korea")
    CountryAliasFactory(country=korea, name="South Korea")
    CountryAliasFactory(country=korea, name="Korea (Rep. of)")
    CountryFactory(name_en="Elsewhere")

    for term in [
        "KOR",
        "KR",
        "410",
        "Republic of Korea",
        "South Korea",
        "Korea, Republic of",
    ]:
        response = admin_client.get(changelist("country"), {"q": term})
        assert list(response.context["cl"].result_list) == [korea], term


@pytest.mark.parametrize(
    "params",
    [
        {"itu_region__exact": "EUR"},
        {"income_group__exact": "High"},
        {"is_ldc__exact": "0"},
        {"is_itu_member_state__exact": "1"},
        {"itu_region_inferred__exact": "0"},
    ],
)
def test_country_filters(admin_client, params):
    country = CountryFactory()
    response = admin_client.get(changelist("country"), params)
    assert list(response.context["cl"].result_list) == [country]


def test_country_ldc_flag_and_region_are_editable_from_the_list(admin_client):
    country = CountryFactory(itu_region=Country.Region.EUR, is_ldc=False)
    data = {
        "form-TOTAL_FORMS": 1,
        "form-INITIAL_FORMS": 1,
        "form-0-id": country.pk,
        "form-0-itu_region": "AFR",
        "form-0-is_ldc": "on",
        "_save": "Save",
    }

    response = admin_client.post(changelist("country"), data)

    assert response.status_code == 302
    country.refresh_from_db()
    assert (country.itu_region, country.is_ldc) == ("AFR", True)


def _country_post(client, url) -> dict:
    """The change form's data as a browser would send it back."""
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, bool)
    }
    data.update({name: "on" for name, value in form.initial.items() if value is True})
    data.update({"aliases-TOTAL_FORMS": 0, "aliases-INITIAL_FORMS": 0})
    return data


def test_country_page_adds_an_alias_inline(admin_client):
    country = CountryFactory()
    url = reverse("admin:crm_country_change", args=[country.pk])
    data = _country_post(admin_client, url)
    data.update(
        {
            "aliases-TOTAL_FORMS": 1,
            "aliases-0-name": "Côte d’Ivoire",
            "aliases-0-kind": "common",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert CountryAlias.objects.get(country=country).normalized == "cote d ivoire"


def test_an_alias_that_normalises_like_another_is_refused(admin_client):
    korea = CountryFactory(name_en="Republic of Korea")
    CountryAliasFactory(country=korea, name="South Korea")

    response = admin_client.post(
        reverse("admin:crm_countryalias_add"),
        {"country": CountryFactory().pk, "name": "south  KOREA", "kind": "common"},
    )

    assert response.status_code == 200
    assert "already an alias of Republic of Korea" in response.content.decode()
    assert CountryAlias.objects.count() == 1


def test_two_new_aliases_with_the_same_normal_form_are_refused(admin_client):
    country = CountryFactory()
    url = reverse("admin:crm_country_change", args=[country.pk])
    data = _country_post(admin_client, url)
    data.update(
        {
            "aliases-TOTAL_FORMS": 2,
            "aliases-0-name": "Côte d’Ivoire",
            "aliases-0-kind": "common",
            "aliases-1-name": "Cote d'Ivoire",
            "aliases-1-kind": "common",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "is the same name as" in response.content.decode()
    assert not CountryAlias.objects.exists()


def test_alias_list_filters_and_search(admin_client):
    alias = CountryAliasFactory(name="Viet Nam", kind="un")
    for params in [{"kind__exact": "un"}, {"q": "viet"}]:
        response = admin_client.get(changelist("countryalias"), params)
        assert list(response.context["cl"].result_list) == [alias]


def test_exchange_rate_filters_by_currency_and_year(admin_client):
    eur_2024 = ExchangeRateFactory(currency="EUR", effective_date=dt.date(2024, 3, 1))
    ExchangeRateFactory(currency="EUR", effective_date=dt.date(2025, 3, 1))
    ExchangeRateFactory(
        currency="GBP",
        effective_date=dt.date(2024, 3, 1),
        units_per_usd=Decimal("0.8"),
    )

    response = admin_client.get(
        changelist("exchangerate"), {"currency": "EUR", "year": "2024"}
    )
    hierarchy = admin_client.get(
        changelist("exchangerate"), {"effective_date__year": "2024"}
    )

    assert list(response.context["cl"].result_list) == [eur_2024]
    assert hierarchy.context["cl"].result_count == 2


def test_exchange_rate_can_be_added(admin_client):
    data = {
        "currency": "jpy",
        "effective_date": "2025-01-01",
        "units_per_usd": "155.2",
        "source": "UN operational rate",
    }

    response = admin_client.post(reverse("admin:crm_exchangerate_add"), data)

    assert response.status_code == 302, response.context["errors"]
    assert ExchangeRate.objects.get().currency == "JPY"
