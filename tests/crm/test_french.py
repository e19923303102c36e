"""The interface in French: pages follow the browser's language, and the
catalogue leaves nothing untranslated."""

from __future__ import annotations

import ast
import gettext
import html
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import (
    EngagementFactory,
    FollowUpFactory,
    PartnerFactory,
    PledgeFactory,
    UserFactory,
)

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _back_to_english():
    # LocaleMiddleware leaves French active in the test thread after a request.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def records(db):
    partner = PartnerFactory(name="Republic of Sylvania")
    EngagementFactory(partners=[partner])
    FollowUpFactory(partner=partner)
    return PledgeFactory(partner=partner)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == status, url
    assert response["Content-Language"] == "fr"
    return html.unescape(response.content.decode())


def assert_french(text: str, french: list[str], english: list[str]) -> None:
    for phrase in french:
        assert phrase in text
    for phrase in english:
        assert phrase not in text


def test_the_start_page_is_in_french(admin_client, records):
    text = page(admin_client, "/admin/")
    assert_french(
        text,
        french=[
            "Page d'accueil",
            "Partenaires actifs",
            "Échanges de l'année",
            "Mes suivis",
            "Suivis en retard de l'équipe",
            "Enregistrer un échange",
            "Sans contact depuis six mois",
            "Leviers et objectifs",
            "Tous les rapports",
            "Double authentification",
        ],
        english=[
            "Start page",
            "Active partners",
            "My follow-ups",
            "Log engagement",
            "Not contacted for six months",
            "All reports",
            "Two-factor sign-in",
        ],
    )


def test_the_partner_list_is_in_french(admin_client, records):
    text = page(admin_client, "/admin/partners/partner/")
    assert_french(
        text,
        french=[
            "Republic of Sylvania",
            "Nom court ou sigle",
            "Dernier échange",
            "Par suivis en retard",
            "Au cours des six derniers mois",
            "Marquer les partenaires sélectionnés comme inactifs",
            "Imprimer les notes des partenaires sélectionnés (un seul PDF)",
        ],
        english=[
            "Short name or acronym",
            "Last engagement",
            "Has overdue follow-ups",
            "Mark selected partners inactive",
            "Print briefs for the selected partners",
        ],
    )


def test_the_pledge_list_is_in_french(admin_client, records):
    text = page(admin_client, "/admin/pledges/pledge/")
    assert_french(
        text,
        french=[
            "Annonces de contributions",
            "Prochaine échéance",
            "Par préaffectation",
            "Faiblement préaffectée",
            "Strictement préaffectée",
            "En nature",
            "Générer un échéancier de paiement…",
            "Marquer comme refusée…",
        ],
        english=[
            "Next due",
            "Softly earmarked",
            "Tightly earmarked",
            "Generate a payment schedule",
            "Mark declined",
        ],
    )


def test_the_pledge_form_labels_are_in_french(admin_client, records):
    text = page(admin_client, "/admin/pledges/pledge/add/")
    assert_french(
        text,
        french=[
            "Probabilité (%)",
            "Préaffectation",
            "Finalité",
            "Annoncée le",
            "Attendue d'ici le",
            "Motif du refus ou du retrait",
            "Échéancier (les paiements couvrent les échéances par ordre de date)",
            "Paiements (un remboursement est un paiement négatif)",
        ],
        english=[
            "Probability",
            "Earmarking",
            "Pledged on",
            "Expected by",
            "Reason declined or withdrawn",
            "Schedule (payments cover",
        ],
    )


@pytest.mark.parametrize(
    ("slug", "title"),
    [
        ("mobilization", "Mobilisation par rapport aux objectifs"),
        ("pipeline", "Portefeuille"),
        ("contributions", "Par catégorie de partenaire"),
        ("activity", "Activité des échanges"),
        ("followups", "Suivis ouverts par personne assignée"),
        ("membership", "Adhésions et contributions"),
    ],
)
def test_every_report_page_is_in_french(admin_client, records, slug, title):
    text = page(admin_client, f"/admin/reports/dashboards/{slug}/")
    assert_french(
        text,
        french=[title, "Appliquer", "Réinitialiser", "Télécharger le rapport complet"],
        english=["Apply", "Reset", "Download the whole report"],
    )


def test_the_pipeline_report_is_in_french(admin_client, records):
    text = page(admin_client, "/admin/reports/dashboards/pipeline/")
    assert_french(
        text,
        french=[
            "Annonces en cours par étape, CHF",
            "Portefeuille en cours (de Prospect à Accord signé)",
            "Annonces en cours par trimestre prévu",
            "Valeur (CHF)",
            "Pondéré (CHF)",
        ],
        english=["Open pledges", "Weighted", "By stage", "Value (CHF)"],
    )


def test_the_pledge_import_page_is_in_french(admin_client, db):
    text = page(admin_client, "/admin/pledges/pledge/import/")
    assert_french(
        text,
        french=[
            "Importer des annonces de contributions",
            "Chargez un fichier CSV, TSV ou Excel (XLSX).",
            "Importer en tant que",
            "Les dates ambiguës comme 03/04/2024 sont au format",
            "Importer uniquement les lignes valides",
            "Colonnes reconnues",
            "Aperçu",
        ],
        english=[
            "Upload a CSV",
            "Import as",
            "Ambiguous dates",
            "Import the valid rows only",
            "Columns recognised",
        ],
    )


def test_the_two_factor_page_is_in_french(admin_client):
    text = page(admin_client, "/admin/account/two-factor/")
    assert_french(
        text,
        french=[
            "La double authentification est désactivée.",
            "un code à six chiffres",
            "Configurer la double authentification",
        ],
        english=["Two-factor sign-in is off", "Set up two-factor sign-in"],
    )


def test_the_code_page_after_the_password_is_in_french(client, superuser):
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client.force_login(superuser)
    text = page(client, "/admin/account/two-factor/verify/")
    assert_french(
        text,
        french=[
            "Connecté en tant que <strong>admin</strong>.",
            "codes de secours",
            "Continuer",
            "Se déconnecter",
        ],
        english=["Signed in as", "backup codes", "Sign out"],
    )


def test_the_lockout_page_is_in_french(client, db):
    UserFactory(username="alice")
    attempts = [
        client.post(
            "/admin/login/",
            {"username": "alice", "password": "wrong-password"},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert [r.status_code for r in attempts[:-1]] == [200] * 4
    assert attempts[-1].status_code == 429
    text = html.unescape(attempts[-1].content.decode())
    assert_french(
        text,
        french=[
            "Connexion suspendue",
            f"Trop de tentatives de connexion infructueuses pour «{NBSP}alice{NBSP}»",
            "la connexion est suspendue pendant 15 minutes",
            "Retour à la connexion",
        ],
        english=["Sign-in paused", "Too many failed sign-in attempts", "Back to"],
    )


# The catalogue -----------------------------------------------------------


def po_entries() -> list[dict]:
    """The entries of the .po file: msgid, msgid_plural, msgstr[n], flags."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": [], "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if isinstance(key, int):
                    entry["msgstr"][key] += value
                else:
                    entry[key] += value
            else:
                keyword, value = line.split(" ", 1)
                key = int(keyword[7:-1]) if keyword.startswith("msgstr[") else keyword
                key = 0 if key == "msgstr" else key
                if isinstance(key, int):
                    entry["msgstr"][key] = ast.literal_eval(value)
                else:
                    entry[key] = ast.literal_eval(value)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def test_every_string_of_the_catalogue_is_translated():
    header, *entries = po_entries()
    assert header["msgid"] == ""
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]
    assert len(entries) > 1000

    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    incomplete_plurals = [
        e["msgid"] for e in entries if "msgid_plural" in e and len(e["msgstr"]) != 2
    ]
    assert untranslated == []
    assert fuzzy == []
    assert incomplete_plurals == []


def test_the_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)._catalog

    stale = []
    for entry in po_entries()[1:]:
        key = entry["msgid"]
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            found = {i: compiled.get((key, i)) for i in entry["msgstr"]}
        else:
            found = {0: compiled.get(key)}
        if found != entry["msgstr"]:
            stale.append(entry["msgid"])
    assert stale == [], "run: manage.py compilemessages -l fr"


def test_countries_are_named_in_the_reader_s_language(admin_client, db):
    from tests.factories import CountryFactory

    germany = CountryFactory(name_en="Germany", name_fr="Allemagne")
    PartnerFactory(name="Deutsche Stiftung", country=germany)
    french = page(admin_client, "/admin/partners/partner/?q=Stiftung")
    assert "Allemagne" in french
    assert "Germany" not in french
    english = admin_client.get("/admin/partners/partner/?q=Stiftung").text
    assert "Germany" in english
    assert "Allemagne" not in english


def test_amounts_in_record_names_follow_the_language(db):
    from decimal import Decimal

    pledge = PledgeFactory(title="Smart Villages", amount=Decimal("1234567.5"))
    currency = pledge.currency
    assert str(pledge) == f"Smart Villages ({currency} 1,234,567.50)"
    with translation.override("fr"):
        name = str(pledge)
    assert name.startswith("Smart Villages (")
    # French puts the currency after the amount: "1 234 567,50 CHF".
    assert name.endswith(f",50 {currency})")
    assert "1,234,567" not in name
