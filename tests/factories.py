"""factory_boy factories for the CRM's models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from crm.models import Country, ExchangeRate
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    Event,
    FollowUp,
    Membership,
    Partner,
    Tag,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("password")


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("iso3",)

    iso3 = factory.Sequence(lambda n: f"X{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    # User-assigned ISO codes (Q?, X?) never clash with seeded real countries.
    iso2 = factory.Sequence(lambda n: f"{'QX'[n // 26 % 2]}{chr(65 + n % 26)}")
    m49 = factory.Sequence(lambda n: 900 + n)
    name_en = factory.Sequence(lambda n: f"Country {n}")
    name_fr = factory.LazyAttribute(lambda c: f"Pays {c.name_en}")
    itu_name = factory.LazyAttribute(lambda c: c.name_en)
    itu_region = Country.Region.EUR
    income_group = Country.Income.HIGH
    is_itu_member_state = True
    is_un_member = True


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag {n}")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    category = Partner.Category.PRIVATE_SECTOR
    country = factory.SubFactory(CountryFactory)


class GovernmentFactory(PartnerFactory):
    category = Partner.Category.GOVERNMENT
    name = factory.LazyAttribute(lambda p: f"Government of {p.country.name_en}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    partner = factory.SubFactory(GovernmentFactory)
    type = Membership.Type.MEMBER_STATE
    contribution_class = Decimal("1")
    start_date = dt.date(1990, 1, 1)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(
        lambda c: f"{c.first_name}.{c.last_name}@example.org".lower()
    )


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    contact = factory.SubFactory(ContactFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Affiliation.Role.FOCAL_POINT
    start_date = dt.date(2024, 1, 1)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Event {n}")
    kind = Event.Kind.FLAGSHIP
    start_date = dt.date(2025, 7, 8)
    place = "Geneva"


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engagement
        skip_postgeneration_save = True

    date = dt.date(2025, 6, 1)
    kind = Engagement.Kind.MEETING
    subject = factory.Sequence(lambda n: f"Meeting {n}")

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create:
            self.partners.set(extracted or [PartnerFactory()])

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):
        if create and extracted:
            self.contacts.set(extracted)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    partner = factory.SubFactory(PartnerFactory)
    description = factory.Sequence(lambda n: f"Send the proposal {n}")
    assignee = factory.SubFactory(UserFactory)
    due_date = dt.date(2025, 6, 15)


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate
        django_get_or_create = ("currency", "effective_date")

    currency = "CHF"
    effective_date = dt.date(2024, 1, 1)
    units_per_usd = Decimal("0.9")


# Pledges (pledges app). Create the exchange rates a test needs with
# ExchangeRateFactory: a CHF pledge needs none, any other currency does.


class LeverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "pledges.Lever"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lever-{n}")
    name = factory.Sequence(lambda n: f"Lever {n}")


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "pledges.Target"

    lever = factory.SubFactory(LeverFactory)
    year = 2025
    amount_chf = Decimal("1000000.00")


class PledgeFactory(factory.django.DjangoModelFactory):
    """A CHF pledge at stage pledged; the CHF equivalent is computed on save."""

    class Meta:
        model = "pledges.Pledge"

    partner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"Contribution {n}")
    lever = factory.SubFactory(LeverFactory)
    stage = "pledged"
    amount = Decimal("1000.00")
    currency = "CHF"
    pledged_on = dt.date(2025, 3, 1)


class InstallmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "pledges.Installment"

    pledge = factory.SubFactory(PledgeFactory)
    due_date = dt.date(2025, 6, 30)
    amount = Decimal("500.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment saved as is: no rule checks and no stage update.

    Tests of the rules go through pledges.services.pledge_record_payment.
    """

    class Meta:
        model = "pledges.Payment"

    pledge = factory.SubFactory(PledgeFactory)
    received_on = dt.date(2025, 6, 1)
    amount = Decimal("100.00")
    currency = factory.LazyAttribute(lambda p: p.pledge.currency)


# Admin tests (crm and partners admin).


class CountryAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.CountryAlias"

    country = factory.SubFactory(CountryFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")
    kind = "common"


class UnitValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.UnitValue"
        django_get_or_create = ("year",)

    year = 2025
    member_state_unit_chf = Decimal("318000.00")


# Briefs and meeting packs (reports app).


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reports.Meeting"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Bilateral meeting {n}")
    starts_at = factory.LazyFunction(
        lambda: dt.datetime(2025, 6, 10, 9, 30, tzinfo=dt.UTC)
    )
    place = "Room B, Secretariat"
    objectives = "Secure the renewal of the voluntary contribution."
    talking_points = "Thank for the 2024 contribution\nInvite to the WSIS Forum"

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create:
            self.partners.set(extracted or [PartnerFactory()])

    @factory.post_generation
    def counterparts(self, create, extracted, **kwargs):
        if create and extracted:
            self.counterparts.set(extracted)


# Documents (documents app).


def document_of(record, *, name="Agreement.pdf", data=None, **fields):
    """A document kept on ``record`` through the service (type and bytes checked)."""
    from documents.services import Upload, document_attach

    data = data if data is not None else b"%PDF-1.4\n%%EOF\n"
    return document_attach(record=record, upload=Upload(name, data), **fields)
