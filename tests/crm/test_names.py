"""Name normalisation, and finding a country by code, name or alias."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from crm.lib.names import normalize_name, repair_mojibake, user_name
from crm.models import Country
from tests.factories import UserFactory


@pytest.fixture(scope="module")
def reference(django_db_setup, django_db_blocker):
    """Countries and aliases for this module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_reference", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    "spellings",
    [
        ["Korea (Rep. of)", "Korea, Republic of", "Republic of Korea"],
        ["REPUBLIC OF KOREA", "republic of korea", "  Republic  of   Korea "],
        ["Korea (the Republic of)", "Korea(Rep. of)", "Korea,Republic of"],
        ["Côte d'Ivoire", "Cote d'Ivoire", "Côte d’Ivoire", "COTE D'IVOIRE"],
        ["Lao P.D.R.", "Lao PDR", "Lao People's Democratic Republic"],
        [
            "Dem. Rep. of the Congo",
            "Congo, Democratic Republic of the",
            "Congo (the Democratic Republic of the)",
            "the Democratic Republic of the Congo",
        ],
        ["Netherlands (Kingdom of the)", "the Kingdom of the Netherlands"],
        ["Iran (Islamic Republic of)", "Iran, Islamic Republic of"],
        ["Gambia, The", "The Gambia", "Gambia"],
        ["Trinidad and Tobago", "Trinidad & Tobago", "Trinidad&Tobago"],
        ["St. Kitts and Nevis", "Saint Kitts & Nevis"],
        ["Türkiye", "Turkiye", "TÜRKIYE"],
        ["U.S.A.", "USA", "usa"],
        ["Luxembourg, Government of", "Government of Luxembourg"],
    ],
)
def test_spellings_of_the_same_name_share_one_key(spellings):
    keys = {normalize_name(spelling) for spelling in spellings}
    assert len(keys) == 1, keys


def test_the_key_is_lower_case_unaccented_words():
    assert normalize_name("Korea (Rep. of)") == "republic of korea"
    assert normalize_name("Côte d’Ivoire") == "cote d ivoire"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Niger", "Nigeria"),
        ("Congo", "Democratic Republic of the Congo"),
        ("Guinea", "Equatorial Guinea"),
        ("Dominica", "Dominican Republic"),
        ("Sudan", "South Sudan"),
        ("Republic of Korea", "Democratic People's Republic of Korea"),
    ],
)
def test_different_countries_keep_different_keys(one, other):
    assert normalize_name(one) != normalize_name(other)


def test_text_decoded_with_the_wrong_encoding_is_repaired():
    assert repair_mojibake("CÃ´te dâ€™Ivoire") == "Côte d’Ivoire"
    assert normalize_name("TÃ¼rkiye") == normalize_name("Türkiye")
    assert normalize_name("SÃ£o TomÃ© and PrÃ\xadncipe") == "sao tome and principe"


def test_genuine_text_that_only_looks_mangled_is_left_alone():
    assert repair_mojibake("SÃO PAULO") == "SÃO PAULO"
    assert normalize_name("SÃO PAULO") == "sao paulo"


@pytest.mark.parametrize("empty", [None, "", "   ", "(), ."])
def test_empty_text_gives_an_empty_key(empty):
    assert normalize_name(empty) == ""


def test_names_in_other_scripts_keep_their_letters():
    assert normalize_name("Российская Федерация") == "российская федерация"
    assert normalize_name("中国") == "中国"
    assert normalize_name("भारत गणराज्य") == "भारत गणराज्य"


def test_arabic_vowel_points_and_greek_accents_are_optional():
    assert normalize_name("مُحَمَّد") == normalize_name("محمد")
    assert normalize_name("Ελλάδα") == normalize_name("ΕΛΛΑΔΑ")


def test_latin_letters_without_a_decomposition_are_folded_too():
    assert normalize_name("Łódź") == "lodz"
    assert normalize_name("Straße") == normalize_name("Strasse")
    assert normalize_name("Søren Kjær") == "soren kjaer"


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        ("KOR", "KOR"),
        ("kor", "KOR"),
        ("KR", "KOR"),
        ("kr", "KOR"),
        ("410", "KOR"),
        ("Korea (Rep. of)", "KOR"),
        ("Korea, Republic of", "KOR"),
        ("Republic of Korea", "KOR"),
        ("South Korea", "KOR"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("CÃ´te dâ€™Ivoire", "CIV"),
        ("Ivory Coast", "CIV"),
        ("Lao P.D.R.", "LAO"),
        ("US", "USA"),
        ("840", "USA"),
        ("Suisse", "CHE"),
        ("Swiss Confederation", "CHE"),
    ],
)
def test_a_country_is_found_by_iso_code_m49_code_name_or_alias(
    reference, db, text, iso3
):
    assert Country.objects.find(text).iso3 == iso3


@pytest.mark.parametrize("text", ["", "   ", "Korea", "Atlantis", "XYZ", "999"])
def test_an_unknown_or_ambiguous_name_finds_nothing(reference, db, text):
    assert Country.objects.find(text) is None


@pytest.mark.django_db
def test_a_user_is_named_by_full_name_or_else_login():
    named = UserFactory(username="kito", first_name="Kenji", last_name="Ito")
    bare = UserFactory(username="ops", first_name="", last_name="")

    assert [user_name(named), user_name(bare), user_name(None)] == [
        "Kenji Ito",
        "ops",
        "",
    ]
