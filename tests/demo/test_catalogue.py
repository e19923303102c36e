"""The demo's data files: a file that does not fit is named with the entry,
the field and the value."""

from __future__ import annotations

import re

import pytest

from demo import catalogue
from demo.catalogue import DemoDataError


def test_the_catalogue_reads_an_edited_file_at_once(edit):
    edit("organisations", lambda orgs: orgs[0].update(name="Northwind Ltd"))
    assert catalogue.organisations()[0].name == "Northwind Ltd"


BAD_FILES = [
    pytest.param(
        "organisations",
        lambda orgs: orgs[2].update(category="privat"),
        catalogue.organisations,
        "organisations.json, entry 3 (DEMO-CONTOSO), field 'category': 'privat' "
        "is not one of 'government', ",
        id="a category that does not exist",
    ),
    pytest.param(
        "organisations",
        lambda orgs: orgs[0].update(webiste="https://x.example"),
        catalogue.organisations,
        "organisations.json, entry 1 (DEMO-NORTHWIND): unknown field 'webiste'",
        id="a misspelt field",
    ),
    pytest.param(
        "organisations",
        lambda orgs: orgs[1].update(parent="DEMO-NOWHERE"),
        catalogue.organisations,
        "organisations.json, entry 2 (DEMO-NORTHWIND-AFR), field 'parent': "
        "'DEMO-NOWHERE' is neither an organisation listed before nor a government",
        id="a parent not listed",
    ),
    pytest.param(
        "organisations",
        lambda orgs: orgs[0].update(tags=["AI for God"]),
        catalogue.organisations,
        "organisations.json, entry 1 (DEMO-NORTHWIND), field 'tags': "
        "'AI for God' is not in tags.json",
        id="a tag not listed",
    ),
    pytest.param(
        "organisation_contacts",
        lambda people: people["DEMO-CONTOSO"][0].pop("job_title"),
        catalogue.organisation_contacts,
        "organisation_contacts.json, DEMO-CONTOSO entry 1: field 'job_title' is "
        "missing",
        id="a missing field",
    ),
    pytest.param(
        "organisation_contacts",
        lambda people: people.update({"DEMO-NOWHERE": []}),
        catalogue.organisation_contacts,
        "organisation_contacts.json, 'DEMO-NOWHERE': not in organisations.json",
        id="contacts of an organisation not listed",
    ),
    pytest.param(
        "organisation_memberships",
        lambda rows: rows["DEMO-SAHEL"][0].update(contribution_class=0.0625),
        catalogue.organisation_memberships,
        "organisation_memberships.json, DEMO-SAHEL entry 1, field "
        "'contribution_class': 0.0625 is not a number in quotes",
        id="a class of contribution as a float",
    ),
    pytest.param(
        "events",
        lambda events: events["one_off"][0].update(start="2025-13-01"),
        catalogue.events,
        "events.json, top level, field 'one_off', item 1, field 'start': "
        "'2025-13-01' is not a date (YYYY-MM-DD)",
        id="a date that does not exist",
    ),
    pytest.param(
        "staff",
        lambda staff: staff[0].update(regions=["AFR", "Africa"]),
        catalogue.staff,
        "staff.json, entry 1 (amina.diallo), field 'regions': 'Africa' is not one "
        "of 'AFR', ",
        id="a region that does not exist",
    ),
    pytest.param(
        "topics",
        lambda topics: topics[0].update(weight="3"),
        catalogue.topics,
        "topics.json, entry 1 (courtesy), field 'weight': expected int, found '3'",
        id="a number in quotes",
    ),
]


@pytest.mark.parametrize(("name", "how", "load", "message"), BAD_FILES)
def test_a_file_that_does_not_fit_is_named_with_entry_field_and_value(
    edit, name, how, load, message
):
    edit(name, how)
    with pytest.raises(DemoDataError, match=re.escape(message)):
        load()


def test_a_file_that_is_not_json_is_named_with_the_line(edit):
    path = catalogue.DATA_DIR / "tags.json"
    path.write_text('[\n  "AI for Good",\n  "P2C"\n  "Giga"\n]\n', encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"^tags\.json, line 4, column 3: "):
        catalogue.tags()
