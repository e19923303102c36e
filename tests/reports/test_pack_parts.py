"""Long packs laid out in parts and merged read as the same pack laid out whole."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from reports.briefs.build import brief_build
from reports.briefs.data import BriefRequest
from reports.briefs.printing import brief_print, brief_render
from reports.models import PrintLog
from tests.factories import (
    CountryFactory,
    EngagementFactory,
    GovernmentFactory,
    MembershipFactory,
)
from tests.reports.conftest import pdf_pages

pytestmark = pytest.mark.django_db

FOOTER = re.compile(r"Page \d+( of \d+)?")


@pytest.fixture
def partners(db):
    result = []
    for i in range(5):
        country = CountryFactory(
            iso3=f"P{i:02d}", iso2=f"P{i}", m49=950 + i, name_en=f"Partland {i}"
        )
        partner = GovernmentFactory(country=country)
        MembershipFactory(partner=partner)
        # Some partners run to several pages, so parts differ in length.
        for n in range(12 * i):
            EngagementFactory(
                partners=[partner],
                subject=f"Talk {n} with Partland {i}",
                summary="A long account of the meeting. " * 20,
                date=dt.date(2024, 1, 1) + dt.timedelta(days=n),
            )
        result.append(partner)
    return result


def render(pack, settings, part_size: int) -> list[str]:
    settings.REPORTS_PACK_PART_PARTNERS = part_size
    return pdf_pages(brief_render(pack=pack).content)


def test_a_pack_in_parts_has_the_pages_of_the_pack_laid_out_whole(
    partners, officer, settings
):
    with translation.override("en"):
        pack = brief_build(
            request=BriefRequest.for_partners([p.pk for p in partners]), user=officer
        )
    whole = render(pack, settings, 0)
    parts = render(pack, settings, 2)

    assert len(parts) == len(whole) > 5
    for number, (one, other) in enumerate(zip(whole, parts, strict=True), start=1):
        # Every page shows the same, numbered in order across the parts; the
        # cover adds the page count the parts' footers cannot give.
        assert f"Page {number}" in other
        expected = FOOTER.sub("", one)
        got = FOOTER.sub("", other)
        if number == 1:
            assert f"{len(whole)} pages." in got
            got = got.replace(f" {len(whole)} pages.", "")
        assert got == expected, number


def test_the_contents_of_a_pack_in_parts_give_each_partners_page(
    partners, officer, settings
):
    settings.REPORTS_PACK_PART_PARTNERS = 2
    _name, _type, content = brief_print(
        request=BriefRequest.for_partners([p.pk for p in partners]), user=officer
    )
    pages = pdf_pages(content)

    cover = pages[0]
    for partner in partners:
        starts = next(
            n
            for n, text in enumerate(pages[1:], start=2)
            if f"{partner.name} " in text and "POINTS TO RAISE" in text.upper()
        )
        assert re.search(rf"{re.escape(partner.name)} \.*\s*{starts}\b", cover)
    assert PrintLog.objects.get().pages == len(pages)
