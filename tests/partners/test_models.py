from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError

from partners.models import Affiliation, FollowUp, Membership, Partner, format_class
from tests.factories import (
    AffiliationFactory,
    CountryFactory,
    EngagementFactory,
    FollowUpFactory,
    GovernmentFactory,
    MembershipFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def membership(**kwargs) -> Membership:
    country = kwargs.pop("country", None) or CountryFactory()
    category = (
        Partner.Category.GOVERNMENT
        if kwargs.get("type", Membership.Type.MEMBER_STATE)
        == Membership.Type.MEMBER_STATE
        else Partner.Category.PRIVATE_SECTOR
    )
    partner = PartnerFactory(country=country, category=category)
    return MembershipFactory.build(partner=partner, **kwargs)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("40", "40"),
        ("1.5", "1½"),
        ("0.5", "½"),
        ("0.25", "¼"),
        ("0.125", "⅛"),
        ("0.0625", "1/16"),
        ("0.03125", "1/32"),
    ],
)
def test_classes_are_shown_as_itu_writes_them(value, shown):
    assert format_class(Decimal(value)) == shown


def test_a_member_state_class_of_0_3_is_refused_naming_the_value():
    m = membership(contribution_class=Decimal("0.3"))
    with pytest.raises(ValidationError) as error:
        m.full_clean()
    assert "contribution_class" in error.value.message_dict
    assert "0.3" in error.value.message_dict["contribution_class"][0]
    assert "1½" in error.value.message_dict["contribution_class"][0]


def test_a_member_state_may_choose_more_than_40_units():
    membership(contribution_class=Decimal("45")).full_clean()


def test_the_sixteenth_class_is_reserved_for_least_developed_countries():
    rich = membership(contribution_class=Decimal("0.0625"))
    with pytest.raises(ValidationError, match="least developed"):
        rich.full_clean()
    ldc = membership(
        contribution_class=Decimal("0.0625"), country=CountryFactory(is_ldc=True)
    )
    ldc.full_clean()
    designated = membership(
        contribution_class=Decimal("0.125"), reduced_class_approved=True
    )
    designated.full_clean()


def test_a_sector_member_below_half_is_refused_outside_itu_d():
    m = membership(
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.T,
        contribution_class=Decimal("0.25"),
    )
    with pytest.raises(ValidationError) as error:
        m.full_clean()
    message = error.value.message_dict["contribution_class"][0]
    assert "¼" in message
    assert "minimum of ½" in message


def test_an_itu_d_sector_member_may_choose_a_quarter():
    membership(
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.D,
        contribution_class=Decimal("0.25"),
    ).full_clean()


def test_the_itu_d_sixteenth_class_is_only_for_developing_countries():
    m = membership(
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.D,
        contribution_class=Decimal("0.0625"),
        country=CountryFactory(income_group="High"),
    )
    with pytest.raises(ValidationError, match="developing"):
        m.full_clean()
    membership(
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.D,
        contribution_class=Decimal("0.0625"),
        country=CountryFactory(income_group="Low"),
    ).full_clean()


def test_a_sector_member_needs_a_sector_and_a_member_state_has_none():
    with pytest.raises(ValidationError) as error:
        membership(
            type=Membership.Type.SECTOR_MEMBER, contribution_class=Decimal("1")
        ).full_clean()
    assert "sector" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        membership(sector=Membership.Sector.R).full_clean()
    assert "sector" in error.value.message_dict


def test_academia_pays_a_sixteenth_or_a_thirty_second_if_developing():
    academia = membership(
        type=Membership.Type.ACADEMIA,
        contribution_class=Decimal("0.03125"),
        country=CountryFactory(income_group="Lower middle"),
    )
    academia.full_clean()
    with pytest.raises(ValidationError, match="1/32"):
        membership(
            type=Membership.Type.ACADEMIA,
            contribution_class=Decimal("0.03125"),
            country=CountryFactory(income_group="High"),
        ).full_clean()


def test_annual_dues_are_class_times_unit_and_sector_members_pay_a_fifth():
    state = membership(contribution_class=Decimal("1.5"))
    assert state.annual_dues_chf(2025) == Decimal("477000.00")
    sector = membership(
        type=Membership.Type.SECTOR_MEMBER,
        sector=Membership.Sector.D,
        contribution_class=Decimal("0.0625"),
        country=CountryFactory(income_group="Low"),
    )
    assert sector.annual_dues_chf(2025) == Decimal("3975.00")


def test_the_unit_value_of_a_year_is_the_latest_on_or_before_it():
    from partners.models import UnitValue

    UnitValue.objects.create(year=2020, member_state_unit_chf=Decimal("318000"))
    UnitValue.objects.create(year=2027, member_state_unit_chf=Decimal("320000"))
    m = membership(contribution_class=Decimal("2"))
    assert m.annual_dues_chf(2026) == Decimal("636000.00")
    assert m.annual_dues_chf(2027) == Decimal("640000.00")


def test_a_membership_ending_before_it_starts_is_refused():
    m = membership(start_date=dt.date(2024, 1, 1), end_date=dt.date(2023, 12, 31))
    with pytest.raises(ValidationError) as error:
        m.full_clean()
    assert "2023-12-31" in error.value.message_dict["end_date"][0]


def test_an_affiliation_ending_before_it_starts_is_refused_naming_the_dates():
    affiliation = AffiliationFactory.build(
        contact=AffiliationFactory().contact,
        partner=PartnerFactory(),
        start_date=dt.date(2024, 5, 1),
        end_date=dt.date(2024, 4, 30),
    )
    with pytest.raises(ValidationError) as error:
        affiliation.full_clean()
    message = error.value.message_dict["end_date"][0]
    assert "2024-04-30" in message
    assert "2024-05-01" in message


def test_an_ambassador_rotation_keeps_the_predecessor_as_history():
    embassy = GovernmentFactory()
    old = AffiliationFactory(
        partner=embassy,
        role=Affiliation.Role.AMBASSADOR,
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2023, 8, 31),
    )
    new = AffiliationFactory(
        partner=embassy,
        role=Affiliation.Role.AMBASSADOR,
        start_date=dt.date(2023, 9, 1),
    )
    assert not old.is_current
    assert new.is_current
    assert embassy.affiliations.count() == 2


def test_a_follow_up_with_no_assignee_is_refused():
    followup = FollowUp(
        partner=PartnerFactory(), description="Send note", due_date=dt.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        followup.full_clean()
    assert "assignee" in error.value.message_dict


def test_a_follow_up_needs_an_engagement_or_a_partner():
    followup = FollowUp(
        assignee=UserFactory(), description="Send note", due_date=dt.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        followup.full_clean()
    assert "partner" in error.value.message_dict


def test_a_follow_up_on_an_engagement_belongs_to_its_partner():
    partner = PartnerFactory()
    engagement = EngagementFactory(partners=[partner])
    followup = FollowUpFactory(partner=None, engagement=engagement)
    assert followup.partner == partner


def test_marking_a_follow_up_done_records_the_day():
    followup = FollowUpFactory(status=FollowUp.Status.DONE)
    followup.full_clean()
    assert followup.done_on is not None
    followup.status = FollowUp.Status.OPEN
    followup.full_clean()
    assert followup.done_on is None


def test_a_partner_with_engagements_cannot_be_deleted():
    partner = PartnerFactory()
    EngagementFactory(partners=[partner])
    with pytest.raises(ProtectedError, match="engagements"):
        partner.delete()
    assert Partner.objects.filter(pk=partner.pk).exists()


def test_a_partner_with_memberships_cannot_be_deleted():
    m = MembershipFactory()
    with pytest.raises(ProtectedError):
        m.partner.delete()


def test_a_partner_without_history_can_be_deleted():
    partner = PartnerFactory()
    partner.delete()
    assert not Partner.objects.filter(pk=partner.pk).exists()


def test_a_country_has_only_one_government_partner():
    government = GovernmentFactory()
    with pytest.raises(IntegrityError):
        GovernmentFactory(country=government.country)


def test_the_category_maps_to_the_iati_organisation_type():
    assert PartnerFactory.build(category="government").iati_organisation_type == "10"
    assert PartnerFactory.build(category="foundation").iati_organisation_type == "60"
    assert PartnerFactory.build(category="academia").iati_organisation_type == "80"


def test_a_government_partner_needs_its_country():
    with pytest.raises(ValidationError) as error:
        Partner(name="Government", category="government").full_clean()
    assert "country" in error.value.message_dict
