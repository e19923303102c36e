from __future__ import annotations

import pytest

from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryAliasFactory,
    CountryFactory,
    PartnerFactory,
)


@pytest.fixture
def search_partners():
    korea = CountryFactory(
        name_en="Republic of Korea", itu_name="Korea (Rep. of)", iso3="KOR"
    )
    japan = CountryFactory(name_en="Japan", itu_name="Japan")
    CountryAliasFactory(country=korea, name="South Korea")
    kt = PartnerFactory(name="Korea Telecom", short_name="KT", country=japan)
    operator = PartnerFactory(name="Telecom Operator", short_name="TO", country=korea)
    AffiliationFactory(
        partner=operator, contact=ContactFactory(email="kim@operator.example")
    )
    fund = PartnerFactory(name="Digital Fund", code="fund-kor", country=None)
    bank = PartnerFactory(name="World Bank Group", short_name="WBG", country=japan)
    return {"kt": kt, "operator": operator, "fund": fund, "bank": bank}
