"""Every list's *Export* imports back as it is: "already up to date".

Each exportable list declares its columns (``<app>/resources.py``) as its
importer reads them. The records hold text a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``): a CSV export neutralises such a cell
with an apostrophe, which the import takes off again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import ExchangeRate
from partners.models import Contact, Engagement, Partner
from pledges import services
from pledges.models import Payment, Pledge
from tests.factories import (
    ContactFactory,
    EngagementFactory,
    LeverFactory,
    PartnerFactory,
    PledgeFactory,
)
from tests.imports.conftest import do_import


@pytest.fixture
def records(world):
    gov = world["gov"]
    acme = world["acme"]
    Partner.objects.filter(pk=acme.pk).update(
        notes="=HYPERLINK(1)", website="https://acme.example"
    )
    PartnerFactory(name="+Plus Foundation", short_name="@plus", code="PLUS")
    ContactFactory(
        title="Dr",
        first_name="Ana",
        last_name="-Dash",
        phone="+41 22 730 5111",
        job_title="@ head",
        languages="en, fr",
    )
    ContactFactory(first_name="Bo", last_name="Li", email="")
    EngagementFactory(
        partners=[gov["LUX"], acme],
        subject="=Budget talks",
        summary="-10% next year",
        outcome="+ a visit",
    )
    EngagementFactory(partners=[gov["KOR"]], confidential=True)
    signed = PledgeFactory(
        partner=gov["LUX"],
        lever=world["lever"],
        title="=Schools",
        stage="agreement_signed",
        agreement_signed_on=dt.date(2025, 3, 10),
        amount=Decimal("300000.00"),
        currency="EUR",
        notes="-5% fee",
        purpose="@connectivity",
        agreement_reference="AGR-1",
        expected_by=dt.date(2025, 12, 31),
    )
    PledgeFactory(
        partner=acme,
        lever=LeverFactory(code="in-kind", name="In kind"),
        kind="in_kind",
        earmarking="earmarked",
        external_source="fts",
        external_id="401001",
    )
    PledgeFactory(partner=gov["KOR"], lever=world["lever"], stage="prospect")
    services.pledge_record_payment(
        pledge=signed,
        amount=Decimal("200000"),
        received_on=dt.date(2025, 4, 1),
        reference="=BANK-1",
    )
    services.pledge_record_payment(
        pledge=Pledge.objects.get(pk=signed.pk),
        amount=Decimal("-5000"),
        received_on=dt.date(2025, 5, 1),
        notes="+ refund",
    )
    return world


def export(client, model: str) -> bytes:
    """The list's Export as CSV, every column ticked."""
    url = reverse(f"admin:{model}_export")
    form = client.get(url).context["form"]
    data = {"format": "0", "resource": "0"}
    data |= {
        n: "on" for n, f in form.fields.items() if f.widget.input_type == "checkbox"
    }
    response = client.post(url, data)
    assert response.status_code == 200
    return response.content


LISTS = [
    ("partners_partner", "partners", Partner),
    ("partners_contact", "contacts", Contact),
    ("partners_engagement", "engagements", Engagement),
    ("pledges_pledge", "pledges", Pledge),
    ("pledges_payment", "payments", Payment),
    ("crm_exchangerate", "exchange_rates", ExchangeRate),
]


# Columns an export carries for the people who read it, not read back.
FOR_READERS = {
    "partners": {
        "parent",
        "owner",
        "priority",
        "tags",
        "is_active",
        "created_at",
        "updated_at",
    }
}


@pytest.mark.parametrize(("model", "importer", "records_of"), LISTS)
def test_an_exported_list_imports_back_already_up_to_date(
    admin_client, records, model, importer, records_of
):
    count = records_of.objects.count()
    assert count >= 2
    exported = export(admin_client, model)

    result = do_import(importer, exported, filename=f"{model}.csv")

    assert result.counts == {
        "new": 0,
        "update": 0,
        "unchanged": count,
        "skipped": 0,
        "error": 0,
    }, [r.message for r in result.rows if r.message]
    assert set(result.unknown_columns) <= FOR_READERS.get(importer, set())
    assert records_of.objects.count() == count
