"""No silent overwrite: two people save the same record from the admin.

Each test opens the change page as a browser would (the form read back from
the HTML, hidden version included), so what is posted is what a user's
browser would send.
"""

from __future__ import annotations

import traceback
from decimal import Decimal

import pytest
import tinyhtml5
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from crm.lib.concurrency import EditConflict, ensure_unchanged, version_token
from partners.models import Contact, Engagement, Partner
from pledges.models import Installment, Payment
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    InstallmentFactory,
    MembershipFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTML = "{http://www.w3.org/1999/xhtml}"
VERSIONS_MODULE = "crm/lib/concurrency.py"
CONFLICT = "was changed by someone else after you opened it"


# A user's browser -------------------------------------------------------------


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def form_data(response) -> dict[str, list[str]]:
    """What the browser would post from the change form on the page."""
    root = tinyhtml5.parse(response.content.decode())
    form = next(
        f for f in root.iter(f"{HTML}form") if f.get("id", "").endswith("_form")
    )
    data: dict[str, list[str]] = {}
    for element in form.iter():
        tag = element.tag.removeprefix(HTML)
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        if tag == "input":
            kind = (element.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                continue
            if kind in {"checkbox", "radio"} and element.get("checked") is None:
                continue
            default = "on" if kind in {"checkbox", "radio"} else ""
            data.setdefault(name, []).append(element.get("value", default))
        elif tag == "select":
            options = list(element.iter(f"{HTML}option"))
            chosen = [o for o in options if o.get("selected") is not None]
            if not chosen and element.get("multiple") is None and options:
                chosen = options[:1]
            values = data.setdefault(name, [])
            values.extend(o.get("value", o.text or "") for o in chosen)
        elif tag == "textarea":
            data.setdefault(name, []).append(element.text or "")
    return data


class Person:
    """One signed-in user with the change page of one record open."""

    def __init__(self, user, record):
        self.user = user
        self.client = Client()
        self.client.force_login(user)
        self.url = change_url(record)
        self.page = self.client.get(self.url)
        assert self.page.status_code == 200
        self.data = form_data(self.page)

    def set(self, name: str, value) -> None:
        self.data[name] = value if isinstance(value, list) else [str(value)]

    def save(self):
        response = self.client.post(self.url, self.data)
        if response.status_code == 200:
            self.page = response
            self.data = form_data(response)
        return response


def row_field(person: Person, prefix: str, pk, name: str) -> str:
    """The name of field ``name`` in the inline row of record ``pk``."""
    for key, values in person.data.items():
        if key.startswith(f"{prefix}-") and key.endswith("-id") and values == [str(pk)]:
            return f"{key.removesuffix('-id')}-{name}"
    raise AssertionError(f"no row {pk} in {prefix}")


def errors_of(response) -> list:
    """The form errors of a re-rendered change page, to explain a failure."""
    context = response.context
    errors = [context["adminform"].form.errors]
    for inline in context["inline_admin_formsets"]:
        errors += [inline.formset.non_form_errors(), inline.formset.errors]
    return [e for e in errors if e and any(e)]


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def alice(db):
    return UserFactory(
        username="alice", first_name="Alice", last_name="Ambler", is_superuser=True
    )


@pytest.fixture
def bob(db):
    return UserFactory(
        username="bob", first_name="Bob", last_name="Baker", is_superuser=True
    )


# The records of the brief, each with two fields two people change ------------


def make_partner():
    return PartnerFactory(name="Atlantic Foundation", notes="Met in Geneva.")


def make_contact():
    return AffiliationFactory(
        contact=ContactFactory(last_name="Okafor", job_title="Counsellor")
    ).contact


def make_engagement():
    return EngagementFactory(subject="Side event debrief", summary="Warm.")


def make_pledge():
    return PledgeFactory(title="Core contribution", notes="")


def make_installment():
    return InstallmentFactory(note="First tranche")


def make_payment():
    return PaymentFactory(reference="SWIFT-001", notes="")


CASES = {
    "partner": (make_partner, "name", "Atlantic Foundation Trust", "notes", "Call."),
    "contact": (make_contact, "last_name", "Okafor-Ndu", "job_title", "Minister"),
    "engagement": (make_engagement, "subject", "Debrief", "summary", "Cold."),
    "pledge": (make_pledge, "title", "Core 2026", "notes", "Signed in May."),
    "installment": (make_installment, "amount", "450.00", "note", "Second tranche"),
    "payment": (make_payment, "reference", "SWIFT-002", "notes", "Late."),
}


@pytest.mark.parametrize("case", CASES)
def test_the_second_save_shows_who_changed_what_and_loses_nothing(alice, bob, case):
    make, theirs, their_value, mine, my_value = CASES[case]
    record = make()
    model = type(record)
    field_label = str(model._meta.get_field(theirs).verbose_name)
    before = str(getattr(record, theirs))
    first, second = Person(alice, record), Person(bob, record)

    first.set(theirs, their_value)
    saved = first.save()
    assert saved.status_code == 302, errors_of(saved)
    second.set(mine, my_value)
    response = second.save()

    # Bob is told, by name, what Alice changed and when; nothing was written.
    assert response.status_code == 200
    text = page_text(response)
    assert CONFLICT in text
    assert "Alice Ambler" in text
    assert f"{field_label} “{before}” → “{their_value}”" in text
    record.refresh_from_db()
    assert str(getattr(record, theirs)) == their_value
    assert str(getattr(record, mine)) != my_value

    # Bob's value is still in his form, Alice's is filled in where he left
    # the field alone: saving again keeps both.
    assert second.data[mine] == [my_value]
    assert second.data[theirs] == [their_value]
    assert second.save().status_code == 302
    record.refresh_from_db()
    assert str(getattr(record, theirs)) == their_value
    assert str(getattr(record, mine)) == my_value
    latest = record.history.first()
    assert latest.history_user == bob


def test_a_field_both_changed_keeps_the_second_users_value_after_review(alice, bob):
    partner = make_partner()
    first, second = Person(alice, partner), Person(bob, partner)
    first.set("name", "Atlantic Trust")
    first.save()
    second.set("name", "Atlantic Fund")

    assert second.save().status_code == 200
    assert second.data["name"] == ["Atlantic Fund"]
    partner.refresh_from_db()
    assert partner.name == "Atlantic Trust"

    assert second.save().status_code == 302
    partner.refresh_from_db()
    assert partner.name == "Atlantic Fund"
    # Alice's version stays in the history.
    assert [v.name for v in partner.history.all()[:2]] == [
        "Atlantic Fund",
        "Atlantic Trust",
    ]


def test_reloading_the_page_discards_the_second_users_values(alice, bob):
    partner = make_partner()
    first, second = Person(alice, partner), Person(bob, partner)
    first.set("notes", "From Alice.")
    first.save()
    second.set("name", "Bob's name")
    assert second.save().status_code == 200

    again = Person(bob, partner)
    assert again.data["notes"] == ["From Alice."]
    assert again.data["name"] == ["Atlantic Foundation"]
    assert again.save().status_code == 302
    partner.refresh_from_db()
    assert (partner.name, partner.notes) == ("Atlantic Foundation", "From Alice.")


def test_links_added_by_the_first_user_survive_the_second_save(alice, bob):
    engagement = make_engagement()
    kept = engagement.partners.get()
    added = PartnerFactory(name="Pacific Institute")
    first, second = Person(alice, engagement), Person(bob, engagement)
    first.set("partners", [str(kept.pk), str(added.pk)])
    assert first.save().status_code == 302
    second.set("summary", "Follow up in May.")

    response = second.save()
    assert response.status_code == 200
    assert "Pacific Institute" in page_text(response)
    assert second.save().status_code == 302
    engagement.refresh_from_db()
    assert set(engagement.partners.all()) == {kept, added}
    assert engagement.summary == "Follow up in May."


def test_a_save_that_changed_nothing_is_no_conflict(alice, bob):
    partner = make_partner()
    first, second = Person(alice, partner), Person(bob, partner)
    assert first.save().status_code == 302  # Saved as it was.
    second.set("notes", "Bob was here.")

    assert second.save().status_code == 302
    partner.refresh_from_db()
    assert partner.notes == "Bob was here."


def test_an_unchanged_record_saves_normally(bob):
    pledge = make_pledge()
    InstallmentFactory(pledge=pledge)
    person = Person(bob, pledge)
    person.set("title", "Core contribution 2026")
    assert person.save().status_code == 302
    pledge.refresh_from_db()
    assert pledge.title == "Core contribution 2026"


def test_a_change_made_outside_the_history_is_caught_too(bob):
    partner = make_partner()
    person = Person(bob, partner)
    Partner.objects.filter(pk=partner.pk).update(notes="Bulk update.")
    person.set("name", "Renamed")

    response = person.save()
    assert response.status_code == 200
    assert CONFLICT in page_text(response)
    assert person.data["name"] == ["Renamed"]
    assert person.save().status_code == 302


# Inline rows -----------------------------------------------------------------


def test_an_installment_changed_on_the_pledge_page_is_not_overwritten(alice, bob):
    installment = InstallmentFactory(note="First tranche")
    pledge = installment.pledge
    first, second = Person(alice, pledge), Person(bob, pledge)
    first.set(row_field(first, "installments", installment.pk, "amount"), "400.00")
    assert first.save().status_code == 302
    second.set(row_field(second, "installments", installment.pk, "note"), "Tranche A")

    response = second.save()
    assert response.status_code == 200
    text = page_text(response)
    assert CONFLICT in text
    assert "Alice Ambler" in text
    installment.refresh_from_db()
    assert (installment.amount, installment.note) == (
        Decimal("400.00"),
        "First tranche",
    )

    assert second.save().status_code == 302
    installment.refresh_from_db()
    assert (installment.amount, installment.note) == (Decimal("400.00"), "Tranche A")


def test_a_payment_row_changed_meanwhile_is_not_deleted_unseen(alice, bob):
    payment = PaymentFactory(reference="SWIFT-001")
    pledge = payment.pledge
    first, second = Person(alice, pledge), Person(bob, pledge)
    first.set(row_field(first, "payments", payment.pk, "reference"), "SWIFT-009")
    assert first.save().status_code == 302
    second.set(row_field(second, "payments", payment.pk, "DELETE"), "on")

    response = second.save()
    assert response.status_code == 200
    assert CONFLICT in page_text(response)
    assert Payment.objects.filter(pk=payment.pk, reference="SWIFT-009").exists()

    # Deleting again, having seen Alice's change, deletes it.
    assert second.save().status_code == 302
    assert not Payment.objects.filter(pk=payment.pk).exists()


def test_an_affiliation_changed_on_the_contact_page_shows_on_the_partner_page(
    alice, bob
):
    affiliation = AffiliationFactory(position="Counsellor")
    first = Person(alice, affiliation.contact)
    second = Person(bob, affiliation.partner)
    first.set(
        row_field(first, "affiliations", affiliation.pk, "position"), "Ambassador"
    )
    assert first.save().status_code == 302
    second.set("notes", "Met the counsellor.")
    second.set(row_field(second, "affiliations", affiliation.pk, "role"), "head")

    response = second.save()
    assert response.status_code == 200
    assert "“Counsellor” → “Ambassador”" in page_text(response)
    assert second.save().status_code == 302
    affiliation.refresh_from_db()
    assert (affiliation.position, affiliation.role) == ("Ambassador", "head")
    assert Partner.objects.get(pk=affiliation.partner_id).notes == (
        "Met the counsellor."
    )


def make_membership_row():
    membership = MembershipFactory()
    return membership.partner, "memberships", membership


def make_partner_followup_row():
    followup = FollowUpFactory(description="Send the concept note")
    return followup.partner, "followups", followup


def make_engagement_followup_row():
    engagement = make_engagement()
    followup = FollowUpFactory(
        engagement=engagement,
        partner=engagement.partners.get(),
        description="Send the concept note",
    )
    return engagement, "followups", followup


@pytest.mark.parametrize(
    ("make", "theirs", "their_value", "mine", "my_value"),
    [
        (make_membership_row, "status", "suspended", "arrears_chf", "1200.00"),
        (
            make_partner_followup_row,
            "description",
            "Send the note",
            "due_date",
            "2025-07-01",
        ),
        (
            make_engagement_followup_row,
            "description",
            "Send the note",
            "due_date",
            "2025-07-01",
        ),
    ],
)
def test_inline_rows_changed_meanwhile_are_kept_and_named(
    alice, bob, make, theirs, their_value, mine, my_value
):
    parent, prefix, row = make()
    first, second = Person(alice, parent), Person(bob, parent)
    first.set(row_field(first, prefix, row.pk, theirs), their_value)
    saved = first.save()
    assert saved.status_code == 302, errors_of(saved)
    second.set(row_field(second, prefix, row.pk, mine), my_value)

    response = second.save()
    assert response.status_code == 200
    assert CONFLICT in page_text(response)
    assert "Alice Ambler" in page_text(response)
    assert second.data[row_field(second, prefix, row.pk, theirs)] == [their_value]

    saved = second.save()
    assert saved.status_code == 302, errors_of(saved)
    row.refresh_from_db()
    assert str(getattr(row, theirs)) == their_value
    assert str(getattr(row, mine)) == my_value


def test_rows_added_meanwhile_by_someone_else_are_no_conflict(alice, bob):
    pledge = make_pledge()
    second = Person(bob, pledge)
    InstallmentFactory(pledge=pledge, note="Added by Alice")
    second.set("notes", "Reviewed.")
    assert second.save().status_code == 302
    assert pledge.installments.filter(note="Added by Alice").exists()


# Confidentiality -------------------------------------------------------------


@pytest.fixture
def task_force(db):
    """A staff user allowed everything but confidential engagements."""
    user = UserFactory(username="tf", first_name="Tess", last_name="Field")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="partners").exclude(
            codename="view_confidential_engagement"
        )
    )
    return user


def test_the_conflict_never_tells_what_was_written_while_confidential(
    alice, task_force
):
    engagement = make_engagement()
    second = Person(task_force, engagement)
    for confidential, summary in [(True, "SECRET-SUMMARY"), (False, "Public again.")]:
        engagement.confidential = confidential
        engagement.summary = summary
        engagement._history_user = alice
        engagement.save()
    second.set("subject", "Debrief, revised")

    response = second.save()
    assert response.status_code == 200
    text = page_text(response)
    assert CONFLICT in text
    assert "SECRET-SUMMARY" not in text
    assert "Public again." in text


def test_an_engagement_made_confidential_meanwhile_is_not_found(alice, task_force):
    engagement = make_engagement()
    second = Person(task_force, engagement)
    Engagement.objects.filter(pk=engagement.pk).update(
        confidential=True, summary="SECRET-SUMMARY"
    )
    second.set("subject", "Debrief, revised")

    response = second.client.post(second.url, second.data)
    assert response.status_code == 404
    assert "SECRET-SUMMARY" not in page_text(response)
    assert Engagement.objects.get(pk=engagement.pk).subject == "Side event debrief"


# Services, imports and the API -------------------------------------------------


def test_a_service_refuses_a_record_changed_since_it_was_read(alice):
    contact = ContactFactory(last_name="Okafor")
    version = version_token(contact)
    contact.last_name = "Okafor-Ndu"
    contact._history_user = alice
    contact.save()

    with transaction.atomic(), pytest.raises(EditConflict, match="Alice Ambler"):
        ensure_unchanged(record=Contact.objects.get(pk=contact.pk), version=version)
    with transaction.atomic():
        ensure_unchanged(record=contact, version=version_token(contact))


def test_a_service_refuses_a_record_deleted_since_it_was_read():
    installment = InstallmentFactory()
    version = version_token(installment)
    Installment.objects.filter(pk=installment.pk).delete()
    with transaction.atomic(), pytest.raises(EditConflict, match="deleted"):
        ensure_unchanged(record=installment, version=version)


# Query counts ----------------------------------------------------------------


def version_queries(action) -> int:
    """The queries ``action`` makes to read and check versions.

    The change pages already make a query or two per inline row (the
    autocomplete widgets, constraint checks); the versions add none per row.
    """
    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        if any(f.filename.endswith(VERSIONS_MODULE) for f in traceback.extract_stack()):
            count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        action()
    return count


@pytest.mark.parametrize(
    ("make", "add_row"),
    [
        (
            make_pledge,
            lambda pledge, n: InstallmentFactory(pledge=pledge, amount=Decimal(50)),
        ),
        (make_partner, lambda partner, n: AffiliationFactory(partner=partner)),
        (make_contact, lambda contact, n: AffiliationFactory(contact=contact)),
    ],
)
def test_versions_cost_the_same_queries_for_2_and_12_inline_rows(bob, make, add_row):
    small, large = make(), make()
    for record, rows in [(small, 2), (large, 12)]:
        for n in range(rows):
            add_row(record, n)
    client = Client()
    client.force_login(bob)

    opens = [
        version_queries(lambda r=r: client.get(change_url(r))) for r in (small, large)
    ]
    assert opens[0] == opens[1] <= 4
    people = [Person(bob, record) for record in (small, large)]
    saves = [version_queries(person.save) for person in people]
    assert saves[0] == saves[1] <= 6
    assert [person.save().status_code for person in people] == [302, 302]


def test_the_pledge_page_opens_within_its_query_budget(
    bob, django_assert_max_num_queries
):
    pledge = make_pledge()
    for n in range(5):
        InstallmentFactory(pledge=pledge)
        PaymentFactory(pledge=pledge, reference=f"REF-{n}")
    client = Client()
    client.force_login(bob)
    with django_assert_max_num_queries(40):
        assert client.get(change_url(pledge)).status_code == 200
