"""The arrears rule, once: the same consequence on every surface that shows it.

One table of memberships (type, class, arrears, status) against the
organisation's rule, checked on the model, the membership report, the brief,
the start page and the membership admin.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from partners.models import Membership
from reports.briefs.build import brief_build
from reports.briefs.data import BriefRequest
from reports.figures.membership import membership_report
from tests.factories import (
    CountryFactory,
    GovernmentFactory,
    MembershipFactory,
    PartnerFactory,
    UnitValueFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
MS = Membership.Type.MEMBER_STATE
SM = Membership.Type.SECTOR_MEMBER
ASSOCIATE = Membership.Type.ASSOCIATE
ACTIVE = Membership.Status.ACTIVE
SUSPENDED = Membership.Status.SUSPENDED
C = Membership.ArrearsConsequence

# Units: two years ago 200,000, last year 300,000, this year 318,000. A Member
# State loses its vote at class x 500,000 (the two preceding years); any other
# member is liable to suspension at class x 60,000 (last year's Sector Member
# unit, a fifth).
TABLE = [
    # name, type, class, arrears, status, consequence
    ("Exactly two years", MS, "1", "500000.00", ACTIVE, C.VOTE_LOST),
    ("A centime short", MS, "1", "499999.99", ACTIVE, C.NONE),
    # 2 x this year's dues (1,272,000) is not the rule: the preceding years are.
    ("Class two", MS, "2", "1000000.00", ACTIVE, C.VOTE_LOST),
    ("Suspended state", MS, "1", "100000.00", SUSPENDED, C.SUSPENDED),
    ("Suspended, vote lost", MS, "1", "700000.00", SUSPENDED, C.VOTE_LOST),
    ("A year of dues", SM, "1", "60000.00", ACTIVE, C.LIABLE_TO_SUSPENSION),
    ("Under a year", SM, "1", "59999.99", ACTIVE, C.NONE),
    ("Small associate", ASSOCIATE, "0.0625", "3750.00", ACTIVE, C.LIABLE_TO_SUSPENSION),
    ("Suspended member", SM, "0.5", "10.00", SUSPENDED, C.SUSPENDED),
]


@pytest.fixture
def memberships(db):
    year = timezone.localdate().year
    UnitValueFactory(year=year - 2, member_state_unit_chf=D("200000.00"))
    UnitValueFactory(year=year - 1, member_state_unit_chf=D("300000.00"))
    UnitValueFactory(year=year, member_state_unit_chf=D("318000.00"))
    result = {}
    for i, (name, type_, cls, arrears, status, expected) in enumerate(TABLE):
        if type_ == MS:
            country = CountryFactory(iso3=f"Q{i:02d}", iso2=f"Q{i}", m49=900 + i)
            partner = GovernmentFactory(name=name, country=country)
        else:
            partner = PartnerFactory(name=name)
        membership = MembershipFactory(
            partner=partner,
            type=type_,
            sector="" if type_ == MS else Membership.Sector.D,
            contribution_class=D(cls),
            arrears_chf=D(arrears),
            status=status,
        )
        result[name] = (membership, expected)
    return result


def label(consequence: Membership.ArrearsConsequence) -> str:
    return "" if consequence == C.NONE else str(consequence.label)


def test_the_model_and_the_annotation_agree_with_the_table(memberships):
    annotated = {
        m.partner.name: m.consequence
        for m in Membership.objects.with_arrears_consequence().select_related("partner")
    }
    for name, (membership, expected) in memberships.items():
        fresh = Membership.objects.get(pk=membership.pk)
        assert fresh.arrears_consequence() == expected, name
        assert annotated[name] == expected, name


def test_the_membership_report_shows_the_rules_consequence(memberships):
    with translation.override("en"):
        report = membership_report(
            memberships=Membership.objects.all(), year=timezone.localdate().year
        )
    shown = {r.partner: r.consequence for r in report.table("arrears").rows}

    assert shown == {
        name: label(expected) for name, (_m, expected) in memberships.items()
    }


def test_the_brief_shows_the_rules_consequence(memberships):
    partners = [m.partner_id for m, _expected in memberships.values()]
    with translation.override("en"):
        pack = brief_build(request=BriefRequest.for_partners(partners), user=None)
    briefs = {b.name: b for b in pack.briefs}

    for name, (_membership, expected) in memberships.items():
        brief = briefs[name]
        line = brief.memberships[0]
        assert line.consequence == label(expected), name
        assert line.loses_vote == (expected == C.VOTE_LOST), name
        points = " ".join(brief.key_points)
        assert ("lost its right to vote" in points) == (expected == C.VOTE_LOST)
        if expected in (C.SUSPENDED, C.LIABLE_TO_SUSPENSION):
            assert f"Membership: {expected.label}." in points, name


def test_the_start_page_lists_each_member_with_its_consequence(
    memberships, admin_client
):
    with translation.override("en"):
        html = admin_client.get(reverse("admin:index")).content.decode()
    panel = html[html.index('id="crm-arrears"') :]
    panel = panel[: panel.index("</table>")]
    rows = {
        re.sub(r"<[^>]+>", "", cells[0]).strip(): cells[3].strip()
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", panel, re.S)
        )
        if cells
    }

    assert rows == {
        name: label(expected)
        for name, (_m, expected) in memberships.items()
        if expected != C.NONE
    }


def test_the_membership_admin_shows_and_filters_the_rules_consequence(
    memberships, admin_client
):
    url = reverse("admin:partners_membership_changelist")
    for consequence in C:
        with translation.override("en"):
            response = admin_client.get(url, {"consequence": consequence.value})
        listed = {str(m.partner) for m in response.context["cl"].result_list}
        html = response.content.decode()

        assert listed == {
            name
            for name, (_m, expected) in memberships.items()
            if expected == consequence
        }, consequence
        if consequence != C.NONE:
            column = re.findall(
                r'<td class="field-arrears_consequence">(.*?)</td>', html
            )
            assert column == [str(consequence.label)] * len(listed)
