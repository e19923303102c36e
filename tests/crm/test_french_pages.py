"""French a francophone mission would sign: no English left on the main pages,
the admin's sentences agreeing with each model, French names, forms of address,
dates with "1er", and the language chosen in the top bar remembered."""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib import admin
from django.utils import translation

from crm.admin_phrases import FEMININE_MODELS, MASCULINE_MODELS, model_phrase
from crm.lib.formats import format_date
from crm.lib.names import language_names
from outreach.models import Preference
from partners.models import Affiliation, Contact, Engagement, FollowUp, Partner
from pledges.models import Installment, Pledge
from reports.models import Meeting
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    CountryFactory,
    EngagementFactory,
    EventFactory,
    FollowUpFactory,
    LeverFactory,
    MeetingFactory,
    PartnerFactory,
    PledgeFactory,
)

NBSP = "\u00a0"

# English that leaked into French pages before (issue 18), as whole words.
LEAKS = [
    "Pledge",
    "Pledges",
    "Partner",
    "Partners",
    "Follow-up",
    "Follow-ups",
    "Engagement",
    "Add another",
    "Save",
    "object",
    "l'objet",
    "l’objet",
    "autre objet",
    "cet objet",
    "Select",
    "Delete selected",
    "Government of",
    "was added",
    "Import as",
    "Columns",
    "History",
    "Meeting",
    "OCHA FTS flows",
]
# Text a French page may show: a brand, names the factories give records.
ALLOWED = re.compile(r"Partner2Connect|Partner CRM|\b(Partner|Country|Meeting) \d+\b")


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate(settings.LANGUAGE_CODE)


class _Visible(HTMLParser):
    """The text a reader sees: text nodes, titles, placeholders, options."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.parts.append(value)
            if (
                name == "value"
                and tag == "input"
                and dict(attrs).get("type")
                in (
                    "submit",
                    "button",
                )
            ):
                self.parts.append(value or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(content: str) -> str:
    parser = _Visible()
    parser.feed(content)
    return " ".join(" ".join(parser.parts).split())


def french_page(client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200, url
    assert response["Content-Language"] == "fr"
    return html.unescape(visible_text(response.content.decode()))


def english_leaks(text: str) -> list[str]:
    """Each leaked word with the text around it."""
    text = ALLOWED.sub("", text)
    return [
        text[max(0, m.start() - 40) : m.end() + 40]
        for word in LEAKS
        for m in re.finditer(rf"\b{re.escape(word)}\b", text)
    ]


@pytest.fixture
def records(db):
    country = CountryFactory(name_en="Sylvania", name_fr="Sylvanie")
    partner = PartnerFactory(
        name="Republic of Sylvania",
        name_fr="République de Sylvanie",
        country=country,
        category=Partner.Category.GOVERNMENT,
    )
    contact = ContactFactory(
        title=Contact.Title.HE,
        gender=Contact.Gender.WOMAN,
        first_name="Anna",
        last_name="Dupont",
        languages="Japanese, English",
    )
    AffiliationFactory(
        contact=contact, partner=partner, role=Affiliation.Role.AMBASSADOR
    )
    lever = LeverFactory(name="Flagship events", name_fr="Manifestations phares")
    event = EventFactory(
        name="AI for Good Summit", name_fr="Sommet IA au service du bien"
    )
    engagement = EngagementFactory(
        partners=[partner], contacts=[contact], subject="Visite", event=event
    )
    followup = FollowUpFactory(partner=partner, engagement=engagement)
    pledge = PledgeFactory(partner=partner, lever=lever, title="Villages intelligents")
    meeting = MeetingFactory(title="Rencontre bilatérale")
    meeting.partners.add(partner)
    return {
        "partner": partner,
        "contact": contact,
        "engagement": engagement,
        "followup": followup,
        "pledge": pledge,
        "meeting": meeting,
    }


def _main_pages(records) -> list[str]:
    return [
        "/admin/",
        "/admin/partners/partner/",
        f"/admin/partners/partner/{records['partner'].pk}/change/",
        f"/admin/partners/contact/{records['contact'].pk}/change/",
        f"/admin/partners/engagement/{records['engagement'].pk}/change/",
        "/admin/partners/engagement/add/",
        "/admin/pledges/pledge/",
        f"/admin/pledges/pledge/{records['pledge'].pk}/change/",
        "/admin/partners/followup/",
        "/admin/pledges/pledge/import/",
        "/admin/partners/partner/import/",
        "/admin/reports/dashboards/",
        "/admin/reports/meeting/",
        f"/admin/reports/meeting/{records['meeting'].pk}/change/",
        f"/admin/partners/partner/{records['partner'].pk}/history/",
        f"/admin/partners/partner/{records['partner'].pk}/overview/",
        f"/admin/reports/dashboards/statement/?partner={records['partner'].pk}",
        "/admin/search/?q=Villages",
        f"/admin/reports/meeting/{records['meeting'].pk}/outcome/",
    ]


@pytest.mark.parametrize("index", range(19))
def test_no_english_on_the_main_pages_in_french(admin_client, records, index):
    url = _main_pages(records)[index]
    text = french_page(admin_client, url)
    leaks = english_leaks(text)
    assert not leaks, url + "\n" + "\n".join(leaks)


def test_the_partner_list_shows_french_names(admin_client, records):
    text = french_page(admin_client, "/admin/partners/partner/")
    assert "République de Sylvanie" in text
    assert "Republic of Sylvania" not in text
    english = visible_text(admin_client.get("/admin/partners/partner/").text)
    assert "Republic of Sylvania" in english


def test_pickers_and_record_names_follow_the_reader(records):
    partner, pledge = records["partner"], records["pledge"]
    assert str(partner) == "Republic of Sylvania"
    assert str(pledge.lever) == "Flagship events"
    with translation.override("fr"):
        assert str(partner) == "République de Sylvanie"
        assert str(pledge.lever) == "Manifestations phares"
        assert str(records["engagement"].event).startswith("Sommet IA au service")


# The admin's sentences, per model ------------------------------------------

AGREEING = [
    # model, add title, change-list title, add another, delete selected
    (
        Engagement,
        "Ajouter un échange",
        "Sélectionnez l'échange à modifier",
        "Ajouter un autre échange",
        "Supprimer les échanges sélectionnés",
    ),
    (
        Pledge,
        "Ajouter une annonce de contribution",
        "Sélectionnez l'annonce de contribution à modifier",
        "Ajouter une autre annonce de contribution",
        "Supprimer les annonces de contributions sélectionnées",
    ),
    (
        Partner,
        "Ajouter un partenaire",
        "Sélectionnez le partenaire à modifier",
        "Ajouter un autre partenaire",
        "Supprimer les partenaires sélectionnés",
    ),
    (
        FollowUp,
        "Ajouter un suivi",
        "Sélectionnez le suivi à modifier",
        "Ajouter un autre suivi",
        "Supprimer les suivis sélectionnés",
    ),
    (
        Meeting,
        "Ajouter une réunion",
        "Sélectionnez la réunion à modifier",
        "Ajouter une autre réunion",
        "Supprimer les réunions sélectionnées",
    ),
    (
        Installment,
        "Ajouter une échéance",
        "Sélectionnez l'échéance à modifier",
        "Ajouter une autre échéance",
        "Supprimer les échéances sélectionnées",
    ),
]


@pytest.mark.parametrize(("model", "add", "select", "another", "delete"), AGREEING)
def test_admin_sentences_agree_with_each_model(model, add, select, another, delete):
    opts = model._meta
    with translation.override("fr"):
        name, plural = str(opts.verbose_name), str(opts.verbose_name_plural)
        assert model_phrase("Add %s", model) % name == add
        assert model_phrase("Select %s to change", model) % name == select
        assert (
            model_phrase("Add another %(verbose_name)s", model) % {"verbose_name": name}
            == another
        )
        assert (
            model_phrase("Delete selected %(verbose_name_plural)s", model)
            % {"verbose_name_plural": plural}
            == delete
        )
    with translation.override("en"):
        assert model_phrase("Add %s", model) % opts.verbose_name == (
            f"Add {opts.verbose_name}"
        )


def test_every_registered_model_has_its_gender():
    labels = {model._meta.label_lower for model in admin.site._registry}
    assert labels - (FEMININE_MODELS | MASCULINE_MODELS) == set()
    assert set() == FEMININE_MODELS & MASCULINE_MODELS


def test_the_pages_use_the_agreeing_sentences(admin_client, records):
    text = french_page(admin_client, "/admin/pledges/pledge/")
    assert "Sélectionnez l'annonce de contribution à modifier" in text
    assert "Ajouter une annonce de contribution" in text
    assert "Supprimer les annonces de contributions sélectionnées" in text
    text = french_page(admin_client, "/admin/partners/engagement/add/")
    assert "Ajouter un échange" in text
    raw = admin_client.get(
        f"/admin/partners/engagement/{records['engagement'].pk}/change/",
        HTTP_ACCEPT_LANGUAGE="fr",
    ).content.decode()
    assert "Ajouter un autre suivi" in html.unescape(raw)
    assert "Modifier l'échange" in french_page(
        admin_client, f"/admin/partners/engagement/{records['engagement'].pk}/change/"
    )


def test_the_saved_message_agrees(admin_client, db):
    response = admin_client.post(
        "/admin/partners/tag/add/",
        {"name": "Prioritaire"},
        HTTP_ACCEPT_LANGUAGE="fr",
        follow=True,
    )
    messages = [re.sub("<[^>]+>", "", str(m)) for m in response.context["messages"]]
    assert messages == [f"L'étiquette «{NBSP}Prioritaire{NBSP}» a été ajoutée."]
    english = admin_client.post(
        "/admin/partners/tag/add/", {"name": "Urgent"}, follow=True
    )
    assert [re.sub("<[^>]+>", "", str(m)) for m in english.context["messages"]] == [
        "The tag “Urgent” was added successfully."
    ]


# Forms of address, roles, languages ------------------------------------------


def test_forms_of_address_by_gender(db):
    madam = ContactFactory(title="H.E.", gender="f", first_name="Anna", last_name="B")
    sir = ContactFactory(title="H.E.", gender="m", first_name="Jean", last_name="C")
    ms = ContactFactory(title="Ms", first_name="Eva", last_name="D")
    mr = ContactFactory(title="Mr", first_name="Ivo", last_name="E")
    assert str(madam) == "H.E. Anna B"
    with translation.override("fr"):
        assert str(madam) == "S. E. Mme Anna B"
        assert str(sir) == "S. E. M. Jean C"
        assert str(ms) == "Mme Eva D"
        assert str(mr) == "M. Ivo E"


def test_a_woman_ambassador_is_ambassadrice(records):
    affiliation = records["contact"].affiliations.get()
    man = AffiliationFactory(
        contact=ContactFactory(gender="m"),
        partner=records["partner"],
        role=Affiliation.Role.AMBASSADOR,
    )
    with translation.override("fr"):
        assert affiliation.role_display == "Ambassadrice / Représentante permanente"
        assert man.role_display == "Ambassadeur / Représentant permanent"


def test_languages_are_named_in_the_reader_s_language():
    assert language_names("Japanese, English") == "Japanese, English"
    with translation.override("fr"):
        assert language_names("Japanese, English") == "japonais, anglais"
        assert language_names("Welsh; Klingon") == "gallois, Klingon"


# Dates ----------------------------------------------------------------------


def test_french_dates_say_1er_and_abbreviate_with_a_full_stop():
    first = dt.date(2026, 10, 1)
    third = dt.date(2026, 12, 3)
    with translation.override("fr"):
        assert format_date(first) == "1er octobre 2026"
        assert format_date(first, "l j F Y") == "jeudi 1er octobre 2026"
        assert format_date(third, "D j M") == "jeu. 3 déc."
        assert format_date(dt.date(2026, 10, 11)) == "11 octobre 2026"
        assert format_date(dt.date(2026, 2, 21), "j M Y") == "21 févr. 2026"
    with translation.override("en"):
        assert format_date(first) == "1 October 2026"


# The language switcher -------------------------------------------------------


def test_the_switcher_is_in_the_top_bar(admin_client, db):
    text = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/admin/account/reminders/language/"' in text
    assert 'value="fr"' in text


def test_never_chosen_follows_the_browser(admin_client, superuser):
    assert not Preference.objects.filter(user=superuser).exists()
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "fr"
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"


def test_the_choice_is_remembered_across_sessions(client, superuser):
    client.force_login(superuser)
    response = client.post(
        "/admin/account/reminders/language/",
        {"language": "fr", "next": "/admin/partners/partner/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/partners/partner/"
    assert Preference.objects.get(user=superuser).language == "fr"
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "fr"

    client.logout()
    client.force_login(superuser)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "fr"

    client.post("/admin/account/reminders/language/", {"language": ""})
    assert Preference.objects.get(user=superuser).language == ""
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"


def test_an_unknown_language_is_refused_and_changes_nothing(admin_client, superuser):
    response = admin_client.post(
        "/admin/account/reminders/language/", {"language": "xx"}
    )
    assert response.status_code == 400
    assert "xx" in response.content.decode()
    assert not Preference.objects.filter(user=superuser).exists()


def test_an_outside_address_to_go_back_to_is_not_followed(admin_client):
    response = admin_client.post(
        "/admin/account/reminders/language/",
        {"language": "fr", "next": "https://example.com/"},
    )
    assert response["Location"] == "/admin/"


# Stored names and texts, translated when shown ---------------------------------


def test_roles_are_named_in_the_reader_s_language(admin_client, db):
    from django.contrib.auth.models import Group

    from crm.roles import TASK_FORCE, VIEWER

    Group.objects.create(name=TASK_FORCE)
    Group.objects.create(name=VIEWER)
    text = french_page(admin_client, "/admin/auth/group/")
    assert "Équipe spéciale" in text
    assert "Lecteur" in text
    assert "Task force" not in text
    assert Group.objects.filter(name=TASK_FORCE).exists()


def test_history_reasons_are_shown_in_the_reader_s_language(admin_client, records):
    from crm.history import change_reason_display

    partner = records["partner"]
    version = partner.history.latest()
    version.history_change_reason = "merge 12"
    version.save()
    text = french_page(admin_client, f"/admin/partners/partner/{partner.pk}/history/")
    assert "fusion 12" in text
    assert "merge 12" not in text
    assert partner.history.latest().history_change_reason == "merge 12"
    with translation.override("fr"):
        assert change_reason_display("import batch 7") == "lot d'importation 7"
        assert change_reason_display("a note") == "a note"


def test_the_import_page_names_columns_in_french(admin_client, db):
    text = french_page(admin_client, "/admin/pledges/pledge/import/")
    assert "Flux FTS de l'OCHA" in text
    assert "partenaire :" in text
    assert "flux d'origine :" in text
    assert "purpose :" not in text


def test_percentages_in_templates_follow_the_language():
    from django.template import Context, Template

    template = Template("{% load crm_formats %}{{ value|percent:1 }}")
    assert template.render(Context({"value": 92.3})) == f"92.3{NBSP}%"
    with translation.override("fr"):
        assert template.render(Context({"value": 92.3})) == f"92,3{NBSP}%"


def test_messages_about_a_name_with_an_apostrophe_agree():
    from django.utils.html import format_html

    from crm.admin_phrases import rewrite_message
    from pledges.models import PledgeReduction

    with translation.override("fr"):
        django_message = format_html(
            translation.gettext("The {name} “{obj}” was added successfully."),
            name=PledgeReduction._meta.verbose_name,
            obj="Coupe 2026",
        )
        text = html.unescape(str(rewrite_message(django_message, PledgeReduction)))
    assert text == f"La réduction d'annonce «{NBSP}Coupe 2026{NBSP}» a été ajoutée."
