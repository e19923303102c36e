"""Contact pickers say who each contact is: current role and partner, the
form's partners' contacts first, former roles marked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import Affiliation, Contact
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    EngagementFactory,
    MeetingFactory,
    PartnerFactory,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def people(db):
    japan = PartnerFactory(name="Japan", short_name="JPN")
    korea = PartnerFactory(name="Republic of Korea")
    nakamura = ContactFactory(title="H.E.", first_name="Yuko", last_name="Nakamura")
    AffiliationFactory(
        contact=nakamura,
        partner=japan,
        role=Affiliation.Role.AMBASSADOR,
        position="Ambassador",
    )
    # The same title and surname, at another mission.
    namesake = ContactFactory(title="H.E.", first_name="Aiko", last_name="Nakamura")
    AffiliationFactory(
        contact=namesake, partner=korea, role=Affiliation.Role.AMBASSADOR
    )
    former = ContactFactory(title="H.E.", first_name="Ken", last_name="Nakamura")
    AffiliationFactory(
        contact=former,
        partner=japan,
        role=Affiliation.Role.AMBASSADOR,
        position="Ambassador",
        start_date=dt.date(2018, 1, 1),
        end_date=days(-200),
    )
    loose = ContactFactory(first_name="Ada", last_name="Nakamura")
    return {
        "japan": japan,
        "korea": korea,
        "nakamura": nakamura,
        "namesake": namesake,
        "former": former,
        "loose": loose,
    }


def test_the_label_names_the_role_and_partner(people):
    labels = {c.pk: c.picker_label for c in Contact.objects.with_picker_label()}
    assert labels[people["nakamura"].pk] == "H.E. Yuko Nakamura — Ambassador, Japan"
    assert labels[people["namesake"].pk] == (
        "H.E. Aiko Nakamura — Ambassador, Republic of Korea"
    )
    assert labels[people["former"].pk] == (
        "H.E. Ken Nakamura — former Ambassador, Japan"
    )
    assert labels[people["loose"].pk] == "Ada Nakamura"


def test_long_positions_and_names_give_way_to_the_role_and_short_name(people):
    long_name = PartnerFactory(
        name="Ministry of Information and Communications Technology and Innovation",
        short_name="MICTI",
    )
    contact = ContactFactory(first_name="Lea", last_name="Moser")
    AffiliationFactory(
        contact=contact,
        partner=long_name,
        role=Affiliation.Role.DIRECTOR,
        position="Director, International Cooperation and Multilateral Affairs",
    )
    assert contact.picker_label == "Lea Moser — Director, MICTI"


def test_a_contact_loaded_without_the_annotation_gets_the_same_label(people):
    contact = Contact.objects.get(pk=people["nakamura"].pk)
    assert contact.picker_label == "H.E. Yuko Nakamura — Ambassador, Japan"


def test_a_current_role_wins_over_a_former_one(people):
    AffiliationFactory(
        contact=people["nakamura"],
        partner=people["korea"],
        role=Affiliation.Role.COUNSELLOR,
        start_date=dt.date(2010, 1, 1),
        end_date=dt.date(2014, 1, 1),
    )
    contact = Contact.objects.with_picker_label().get(pk=people["nakamura"].pk)
    assert contact.picker_label == "H.E. Yuko Nakamura — Ambassador, Japan"


def _autocomplete(client, field="contacts", model="engagement", app="partners", **q):
    return client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": app,
            "model_name": model,
            "field_name": field,
            "term": "Nakamura",
            **q,
        },
    )


def test_the_engagement_contact_picker_lists_the_partners_contacts_first(
    admin_client, people, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = _autocomplete(admin_client, for_partners=str(people["korea"].pk))
    texts = [r["text"] for r in response.json()["results"]]
    assert texts[0].startswith("H.E. Aiko Nakamura — Ambassador")
    assert "H.E. Yuko Nakamura — Ambassador, Japan" in texts
    assert "H.E. Ken Nakamura — former Ambassador, Japan" in texts
    assert "Ada Nakamura" in texts

    texts = [
        r["text"]
        for r in _autocomplete(
            admin_client, for_partners=str(people["japan"].pk)
        ).json()["results"]
    ]
    # Only the current contact of Japan comes first; its former one does not.
    assert texts[0] == "H.E. Yuko Nakamura — Ambassador, Japan"
    assert texts.index("H.E. Ken Nakamura — former Ambassador, Japan") > 0


def test_the_picker_reads_a_bounded_number_of_queries(
    admin_client, people, django_assert_max_num_queries
):
    for i in range(30):
        AffiliationFactory(
            contact=ContactFactory(last_name=f"Nakamura{i}"), partner=people["japan"]
        )
    with django_assert_max_num_queries(12):
        response = _autocomplete(admin_client)
    assert len(response.json()["results"]) == 20
    unlabelled = [
        r["text"] for r in response.json()["results"] if " — " not in r["text"]
    ]
    assert unlabelled == ["Ada Nakamura"]  # no affiliation at all


def test_the_meeting_counterpart_picker_uses_the_same_labels(admin_client, people):
    response = _autocomplete(
        admin_client,
        field="counterparts",
        model="meeting",
        app="reports",
        for_partners=str(people["japan"].pk),
    )
    assert response.json()["results"][0]["text"] == (
        "H.E. Yuko Nakamura — Ambassador, Japan"
    )


def test_the_affiliation_picker_and_other_searches_are_labelled_too(
    admin_client, people
):
    response = _autocomplete(admin_client, field="contact", model="affiliation")
    assert "H.E. Ken Nakamura — former Ambassador, Japan" in [
        r["text"] for r in response.json()["results"]
    ]


def test_the_engagement_form_shows_chosen_contacts_with_their_labels(
    admin_client, people, django_assert_max_num_queries
):
    engagement = EngagementFactory(
        partners=[people["japan"]], contacts=[people["nakamura"], people["former"]]
    )
    with django_assert_max_num_queries(40):
        html = admin_client.get(
            reverse("admin:partners_engagement_change", args=[engagement.pk])
        ).content.decode()
    assert "H.E. Yuko Nakamura — Ambassador, Japan" in html
    assert "H.E. Ken Nakamura — former Ambassador, Japan" in html
    assert "partners/contact_picker.js" in html


def test_the_meeting_form_shows_chosen_counterparts_with_their_labels(
    admin_client, people
):
    meeting = MeetingFactory(partners=[people["japan"]])
    meeting.counterparts.set([people["nakamura"]])
    html = admin_client.get(
        reverse("admin:reports_meeting_change", args=[meeting.pk])
    ).content.decode()
    assert "H.E. Yuko Nakamura — Ambassador, Japan" in html
