"""The preview shows what each new or updated row becomes, not only its cells."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.lib.names import normalize_name
from crm.models import ImportBatch
from partners.models import PartnerAlias
from tests.factories import ExchangeRateFactory
from tests.imports.conftest import do_import


def ways_to_name(world) -> str:
    acme = world["acme"]
    return (
        "Donor,Partner ID,Country,Reference,Amount,Currency,Date\n"
        f",{acme.pk},,R-1,10,CHF,01.04.2024\n"
        "ACME,,,R-2,20,CHF,01.04.2024\n"
        ",,LUX,R-3,30,CHF,01.04.2024\n"
        "Acme Telecom,,,R-4,40,CHF,01.04.2024\n"
        "Gouvernement du Luxembourg,,,R-5,50,CHF,01.04.2024\n"
        "Acme Telco,,,R-6,60,CHF,01.04.2024\n"
        "Acme Telekom,,,R-7,70,CHF,01.04.2024\n"
    )


def test_each_row_says_which_partner_it_lands_on_and_how_it_was_matched(world):
    PartnerAlias.objects.create(partner=world["acme"], name="Acme Telco")
    result = do_import(
        "pledges",
        ways_to_name(world),
        dry_run=True,
        partner_choices={normalize_name("Acme Telekom"): world["acme"].pk},
    )
    assert not result.has_errors, [r.message for r in result.rows]
    acme, lux = world["acme"], world["gov"]["LUX"]
    assert [row.detail["partner"] for row in result.rows] == [
        [acme.pk, "Acme Telecom", "id"],
        [acme.pk, "Acme Telecom", "code"],
        [lux.pk, "Government of Luxembourg", "iso"],
        [acme.pk, "Acme Telecom", "name"],
        [lux.pk, "Government of Luxembourg", "country"],
        [acme.pk, "Acme Telecom", "alias"],
        [acme.pk, "Acme Telecom", "confirmed"],
    ]


def test_a_new_row_shows_its_amount_with_cents_its_chf_equivalent_and_dates(world):
    data = (
        "Donor,Reference,Amount,Currency,Date,Expected by\n"
        'ACME,R-1,"1,250,000.50",USD,15.03.2024,31.12.2024\n'
    )
    row = do_import("pledges", data, dry_run=True).rows[0]
    # 0.90 CHF per USD (the world's rate of 2024-01-01).
    assert row.detail["amount"] == ["1250000.50", "USD"]
    assert row.detail["chf"][:3] == ["1125000.45", "0.9000000000000000", "2024-03-15"]
    assert row.detail["dates"] == [
        ["pledged on", "2024-03-15"],
        ["expected by", "2024-12-31"],
    ]
    assert row.detail["lever"] == "Voluntary contributions"


def test_an_updated_row_lists_each_change_old_and_new(world):
    first = "Donor,Reference,Amount,Currency,Date\nACME,R-1,1000,CHF,01.04.2024\n"
    do_import("pledges", first)
    changed = first.replace("1000,CHF", "1500.25,CHF").replace("ACME", "LUX")
    row = do_import("pledges", changed, dry_run=True).rows[0]
    assert row.outcome == "update"
    assert sorted(row.detail["changes"]) == [
        ["amount", "1,000.00", "1,500.25"],
        ["partner", "Acme Telecom", "Government of Luxembourg"],
    ]
    assert row.detail["amount"] == ["1500.25", "CHF"]


def upload(client, content: str):
    return client.post(
        reverse("admin:pledges_pledge_import"),
        {
            "file": SimpleUploadedFile("pledges.csv", content.encode()),
            "dates": "dayfirst",
            "resource": "pledges",
            "lever": "voluntary",
        },
    )


def test_the_preview_page_shows_partner_links_money_rates_and_changes(
    admin_client, world
):
    ExchangeRateFactory(currency="USD", units_per_usd="1")
    page = upload(
        admin_client,
        "Donor,Reference,Amount,Currency,Date\n"
        'ACME,R-1,"1,250,000.50",USD,15.03.2024\n'
        "LUX,R-2,1000,CHF,01.04.2024\n",
    )
    text = page.text
    acme_url = reverse("admin:partners_partner_change", args=[world["acme"].pk])
    assert f'<a href="{acme_url}">Acme Telecom</a>' in text
    assert "matched by partner code" in text
    assert "matched by ISO country code" in text
    assert "USD 1,250,000.50 = CHF 1,125,000.45" in text
    assert "rate 0.900000 on March 15, 2024" in text
    assert "Pledged on: March 15, 2024" in text

    admin_client.post(
        reverse("admin:pledges_pledge_import_preview", args=[page.context["batch"].pk]),
        {"dates": "dayfirst", "lever": "voluntary", "confirm": "1"},
    )
    again = upload(
        admin_client,
        "Donor,Reference,Amount,Currency,Date\n"
        'ACME,R-1,"1,250,000.75",USD,15.03.2024\n',
    )
    assert "Amount: 1,250,000.50 → 1,250,000.75" in again.text


def test_the_preview_page_of_many_rows_takes_a_bounded_number_of_queries(
    admin_client, world, django_assert_max_num_queries
):
    rows = "".join(f"ACME,R-{n},{n}.50,CHF,01.04.2024\n" for n in range(1, 301))
    upload(admin_client, "Donor,Reference,Amount,Currency,Date\n" + rows)
    batch = ImportBatch.objects.get()
    url = reverse("admin:pledges_pledge_import_preview", args=[batch.pk])
    # Session, user, the batch, the levers of the form: none per row.
    with django_assert_max_num_queries(4):
        page = admin_client.get(url)
    assert page.text.count("matched by partner code") == 300
