"""Journey: a French donor spreadsheet without a lever column, previewed as it
will land, and a confirmed spelling remembered for the next file."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partners.models import PartnerAlias
from pledges.models import Pledge
from tests.e2e.conftest import PASSWORD, log_in
from tests.factories import (
    CountryFactory,
    ExchangeRateFactory,
    GovernmentFactory,
    LeverFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

HEADER = "Donateur;Référence;Montant;Devise;Date de la promesse\n"


def french_file(tmp_path, name: str, rows: str):
    path = tmp_path / name
    # Excel in French: semicolons, decimal commas, Windows-1252.
    path.write_bytes((HEADER + rows).encode("cp1252"))
    return path


def upload(page, live_server, path, lever: str | None = None) -> None:
    page.goto(f"{live_server.url}/admin/pledges/pledge/")
    page.click(".object-tools a:has-text('Import')")
    page.set_input_files("input[name=file]", str(path))
    if lever:
        page.select_option("select[name=lever]", lever)
    page.click("input[type=submit][value=Preview]")
    page.wait_for_selector("#content-main")


def counts(page) -> dict[str, str]:
    table = page.locator("#content-main table").first
    headers = [t.strip() for t in table.locator("th").all_text_contents()]
    values = [t.strip() for t in table.locator("td").all_text_contents()]
    return dict(zip(headers, values, strict=True))


def test_a_french_donor_file_is_previewed_as_it_will_land_and_a_spelling_is_kept(
    live_server, page, screenshot, tmp_path
):
    UserFactory(username="tresorier", password=PASSWORD, is_superuser=True)
    LeverFactory(code="membership", name="Membership and contributory units")
    LeverFactory(code="voluntary", name="Voluntary contributions")
    germany = GovernmentFactory(
        name="Germany",
        name_fr="Allemagne",
        country=CountryFactory(name_en="Germany", name_fr="Allemagne", iso3="DEU"),
    )
    france = GovernmentFactory(
        name="France",
        country=CountryFactory(name_en="France", name_fr="France", iso3="FRA"),
    )
    ExchangeRateFactory(currency="CHF", units_per_usd=Decimal("0.8"))
    ExchangeRateFactory(currency="EUR", units_per_usd=Decimal("0.9"))
    first = french_file(
        tmp_path,
        "promesses-2026.csv",
        "Allemagnee;DE-1;1 250 000,50;EUR;15/03/2026\n"
        "France;FR-1;250 000,00;EUR;01/04/2026\n",
    )

    log_in(page, live_server, "tresorier")
    # No lever chosen and none in the file: the import asks for it.
    upload(page, live_server, first)
    assert (
        page.locator(".messagelist .error")
        .inner_text()
        .startswith("The file has no lever column")
    )
    assert page.locator("input[name=confirm]").count() == 0
    page.select_option("select[name=lever]", "voluntary")
    page.click("input[name=preview]")
    page.wait_for_selector("#import-rows")
    assert counts(page)["New"] == "1"
    assert counts(page)["Errors"] == "1"
    defaults = page.locator("#import-defaults").inner_text()
    assert "lever = Voluntary contributions on 1 row" in defaults
    rows = page.locator("#import-rows").inner_text()
    assert "France (matched by name)" in rows
    assert "EUR 250,000.00 = CHF 222,222.22" in rows
    assert "Pledged on: April 1, 2026" in rows

    # "Allemagnee" is close to Germany's French name: confirm it.
    assert "did you mean Germany" in rows
    page.check("input[name='partner:allemagnee']")
    page.click("input[name=preview]")
    page.wait_for_selector("#import-rows")
    assert counts(page)["New"] == "2"
    rows = page.locator("#import-rows").inner_text()
    assert "Germany (matched by the spelling you confirmed)" in rows
    assert "EUR 1,250,000.50 = CHF 1,111,111.56" in rows
    screenshot("import-preview-result")
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")
    assert Pledge.objects.filter(partner=germany).get().amount == Decimal("1250000.50")
    assert Pledge.objects.filter(partner=france).count() == 1
    assert PartnerAlias.objects.get(partner=germany).name == "Allemagnee"

    # The next file with the same spelling lands on Germany without asking.
    second = french_file(
        tmp_path, "promesses-2027.csv", "Allemagnee;DE-2;300 000,00;EUR;10/01/2027\n"
    )
    upload(page, live_server, second, lever="voluntary")
    assert counts(page)["New"] == "1"
    assert counts(page)["Errors"] == "0"
    assert page.locator("text=Partners to confirm").count() == 0
    rows = page.locator("#import-rows").inner_text()
    assert "Germany (matched by alias)" in rows
    screenshot("import-preview-alias")

    page.goto(f"{live_server.url}/admin/partners/partner/{germany.pk}/change/")
    assert page.locator("input[value=Allemagnee]").count() == 1
    assert page.locator("td.field-batch_link a").first.inner_text().startswith("Batch ")
    screenshot("import-preview-partner-aliases")
