"""A crawl of every admin address, as each role, for a planted confidential marker.

A confidential engagement and its follow-up carry a marker string; another
engagement carried it while it was confidential and has since been made
public. Then, for each role (none holds the confidential permission), every
URL pattern under ``/admin/`` is discovered from the URL configuration and
asked for with real ids filled in: lists (plain and searched for the
marker), add, change, delete and history pages, each history version,
custom pages, report downloads in every format, the list exports in every
format, the "Delete selected" confirmation of every list and every
autocomplete. Pages are read as text; spreadsheets cell by cell; PDFs with
pypdf; zip files member by member. The marker must appear nowhere.

A new admin page is crawled by default. A new kind of URL argument fails
``test_every_url_argument_is_known`` until values are given for it below.
"""

from __future__ import annotations

import inspect
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.forms import BooleanField
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from openpyxl import load_workbook
from pypdf import PdfReader

from api.models import ApiToken
from crm.roles import ADMINISTRATOR, FINANCE, TASK_FORCE, VIEWER, roles_setup
from partners.models import Contact, Event, Partner
from reports.models import Meeting, PrintLog
from reports.views import REPORTS
from tests.crm.test_permission_matrix import records
from tests.factories import (
    EngagementFactory,
    FollowUpFactory,
    MeetingFactory,
    UserFactory,
    document_of,
)

pytestmark = pytest.mark.django_db

MARKER = "Qx7Umbra"
ROLES = (TASK_FORCE, FINANCE, VIEWER, ADMINISTRATOR)
SKIPPED = {"admin:logout"}  # would end the session being crawled
# The CRM-wide search box's page and suggestions: searched like the lists.
SEARCH_BOX = {"admin:search", "admin:search_suggest"}
REPORT_FORMATS = ("csv", "xlsx", "pdf")
# Values of the URL arguments that are not the record of the list they belong
# to: by argument name, or by URL name and argument name.
ARGUMENTS_BY_URL = {
    ("admin:reports_print_partner", "pk"): Partner,
    ("admin:reports_print_contact", "pk"): Contact,
    ("admin:reports_print_meeting", "pk"): Meeting,
    ("admin:reports_printlog_download", "pk"): PrintLog,
    ("admin:auth_user_password_change", "id"): get_user_model(),
    ("api_tokens:revoke", "pk"): ApiToken,
    ("outreach:meeting_ics", "pk"): Meeting,
    ("outreach:event_ics", "pk"): Event,
}
KNOWN_ARGUMENTS = {
    "object_id",
    "version_id",
    "batch_id",
    "iso3",
    "slug",
    "fmt",
    "app_label",
    "content_type_id",
    "url",  # the admin's catch-all: adds a slash or answers 404
}


@dataclass(frozen=True)
class Route:
    route: str  # "admin/partners/engagement/<path:object_id>/change/"
    name: str | None
    arguments: tuple[str, ...]
    regex: bool
    model: type | None  # the model of the admin the route belongs to


def _routes() -> list[Route]:
    def walk(patterns, prefix: str, namespace: str) -> Iterator[Route]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else ""
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    ns or namespace,
                )
                continue
            assert isinstance(pattern, URLPattern)
            regex = isinstance(pattern.pattern, RegexPattern)
            arguments = (
                _regex_arguments(pattern)
                if regex
                else tuple(pattern.pattern.converters)
            )
            route = prefix + str(pattern.pattern)
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Route(route, name, arguments, regex, _model_of(route))

    return [
        route
        for route in walk(get_resolver().url_patterns, "", "")
        if route.route.startswith("admin/") and route.name not in SKIPPED
    ]


def _regex_arguments(pattern: URLPattern) -> tuple[str, ...]:
    """Named groups; unnamed ones take the names of the view's parameters."""
    regex = pattern.pattern.regex
    if regex.groupindex:
        return tuple(regex.groupindex)
    parameters = list(inspect.signature(pattern.callback).parameters)
    return tuple(parameters[1 : 1 + regex.groups])  # after the request


def _model_of(route: str):
    parts = route.split("/")
    if len(parts) > 3 and parts[0] == "admin":
        try:
            model = apps.get_model(parts[1], parts[2])
        except (LookupError, ValueError):
            return None
        return model if admin.site.is_registered(model) else None
    return None


@pytest.fixture
def planted(db):
    """Every kind of record, and the marker in what is confidential."""
    roles_setup()
    owner = UserFactory(is_staff=True, username="owner")
    world = records(owner)
    partner = world["partners.partner"]
    contact = world["partners.contact"]
    secret = EngagementFactory(
        partners=[partner],
        contacts=[contact],
        subject=f"Subject {MARKER}",
        summary=f"Summary {MARKER}",
        outcome=f"Outcome {MARKER}",
        confidential=True,
        event=world["partners.event"],
    )
    secret.staff.set([owner])
    followup = FollowUpFactory(
        partner=partner,
        engagement=secret,
        description=f"Follow-up {MARKER}",
        assignee=owner,
    )
    former = EngagementFactory(
        partners=[partner], summary=f"Once {MARKER}", confidential=True
    )
    former.summary = "Now public"
    former.confidential = False
    former.save()
    meeting = MeetingFactory(partners=[partner])
    # A document of the confidential engagement: its name, description, bytes.
    document = document_of(
        secret,
        name=f"Note {MARKER}.pdf",
        data=f"%PDF-1.4 {MARKER}".encode(),
        description=f"Description {MARKER}",
    )
    # A pack its owner printed with confidential engagements in it.
    pack = PrintLog.objects.create(
        user=UserFactory(username="trusted", is_staff=True, is_superuser=True),
        document=PrintLog.Document.values[0],
        title="Brief",
        includes_confidential=True,
        status=PrintLog.Status.values[-1],
        file=ContentFile(f"%PDF-1.7 {MARKER}".encode(), name="brief.pdf"),
    )
    return {
        "world": world,
        "secret": secret,
        "followup": followup,
        "former": former,
        # The records the marker is printed with come first among the ids.
        "first": [secret, followup, former, partner, contact, meeting, pack, document],
    }


def _ids(model, first=()) -> list[str]:
    """A few ids of ``model``'s records, ``first`` among them."""
    ids = [obj.pk for obj in first if isinstance(obj, model)]
    ids += [pk for pk in model._default_manager.values_list("pk", flat=True)[:3]]
    return [str(pk) for pk in dict.fromkeys(ids)]


def _values(route: Route, argument: str, planted) -> list[str]:
    first = planted["first"]
    if (route.name, argument) in ARGUMENTS_BY_URL:
        # Printing takes seconds: only the record printed with the marker.
        return _ids(ARGUMENTS_BY_URL[route.name, argument], first)[:1]
    if argument == "object_id" and route.model is not None:
        return _ids(route.model, first)
    if argument == "batch_id":
        from crm.models import ImportBatch

        return _ids(ImportBatch)
    if argument == "iso3":
        return [planted["world"]["partners.partner"].country.iso3]
    if argument == "slug":
        return [report.slug for report in REPORTS]
    if argument == "fmt":
        return list(REPORT_FORMATS)
    if argument == "app_label":
        return sorted({m._meta.app_label for m in apps.get_models()})
    if argument == "url":
        return [f"partners/engagement/{planted['secret'].pk}", "partners/nothing"]
    raise LookupError(argument)


def _addresses(route: Route, planted) -> Iterator[str]:
    """Every address of ``route`` with real values in its arguments."""
    arguments = list(route.arguments)
    if route.name == "admin:view_on_site":
        for obj in (planted["secret"], planted["world"]["partners.partner"]):
            content_type = ContentType.objects.get_for_model(obj)
            yield f"/admin/r/{content_type.pk}/{obj.pk}/"
        return
    if "version_id" in arguments:
        pk_name = route.model._meta.pk.attname
        ids = _ids(route.model, planted["first"])
        for version in route.model.history.filter(**{f"{pk_name}__in": ids}):
            object_id = getattr(version, pk_name)
            yield _fill(route, {"object_id": object_id, "version_id": version.pk})
        return
    combos: list[dict] = [{}]
    for argument in arguments:
        combos = [
            {**combo, argument: value}
            for combo in combos
            for value in _values(route, argument, planted)
        ]
    for combo in combos:
        yield _fill(route, combo)


def _fill(route: Route, values: dict) -> str:
    if route.regex:
        names = iter(route.arguments)
        path = re.sub(
            r"\((?:\?P<\w+>)?[^)]*\)",
            lambda m: str(values[next(names)]),
            route.route,
        )
        return "/" + path.replace("^", "").replace("$", "")
    return "/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route.route
    )


def _text(response) -> str:
    """What a reader of the response sees, whatever its format."""
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return "\n".join([response.get("Location", ""), *_read(body)])


def _read(body: bytes) -> Iterator[str]:
    yield body.decode("utf-8", "replace")
    yield (
        body.decode("utf-16", "ignore")
        if body[:2] in (b"\xff\xfe", b"\xfe\xff")
        else ""
    )
    if body.startswith(b"%PDF"):
        try:
            reader = PdfReader(io.BytesIO(body))
            yield from (page.extract_text() or "" for page in reader.pages)
        except Exception:
            pass
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" in names:
                book = load_workbook(io.BytesIO(body), read_only=True)
                yield " ".join(
                    str(cell)
                    for sheet in book.worksheets
                    for row in sheet.iter_rows(values_only=True)
                    for cell in row
                    if cell is not None
                )
            for name in names:
                yield from _read(archive.read(name))


def _member(role: str):
    user = UserFactory(is_staff=True, username=role.lower().replace(" ", "_"))
    user.groups.add(Group.objects.get(name=role))
    assert not user.has_perm("partners.view_confidential_engagement")
    return user


def _posts(client) -> Iterator[tuple[str, dict]]:
    """The pages reached by a POST that changes nothing: exports, confirmations."""
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        opts = model._meta
        changelist = f"/admin/{opts.app_label}/{opts.model_name}/"
        pks = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
        yield changelist, {"action": "delete_selected", "_selected_action": pks}
        model_admin = admin.site.get_model_admin(model)
        if hasattr(model_admin, "has_export_permission"):
            export = f"{changelist}export/"
            page = client.get(export)
            if page.status_code != 200:
                continue
            form = page.context["form"]
            ticks = {
                name: "on"
                for name, field in form.fields.items()
                if isinstance(field, BooleanField)
            }
            for value, _label in form.fields["format"].choices:
                if value != "":
                    yield export, {"format": value, "resource": "0", **ticks}


def _autocompletes() -> Iterator[str]:
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        for field in model_admin.autocomplete_fields:
            opts = model._meta
            yield (
                f"/admin/autocomplete/?app_label={opts.app_label}"
                f"&model_name={opts.model_name}&field_name={field}&term="
            )


def crawl(client, planted) -> tuple[list[str], int]:
    """The addresses whose answer shows the marker, and how many were asked."""
    leaks, asked = [], 0

    def check(address, response):
        nonlocal asked
        asked += 1
        assert response.status_code < 500, address
        if MARKER.lower() in _text(response).lower():
            leaks.append(address)

    for route in _routes():
        for address in _addresses(route, planted):
            check(address, client.get(address))
            if route.name and (
                route.name.endswith("_changelist") or route.name in SEARCH_BOX
            ):
                searched = f"{address}?q={MARKER[:-2]}"  # not echoed whole
                check(searched, client.get(searched))
    for address, data in _posts(client):
        check(
            f"POST {address} {data.get('action') or data['format']}",
            client.post(address, data),
        )
    for address in _autocompletes():
        check(address, client.get(address))
    return leaks, asked


@pytest.mark.parametrize("role", ROLES)
def test_no_admin_address_shows_the_marker_to_a_role_without_the_permission(
    planted, role
):
    client = Client()
    client.force_login(_member(role))

    leaks, asked = crawl(client, planted)

    assert asked > 300
    assert leaks == []


def test_the_crawl_reads_the_marker_where_it_may_be_shown(planted):
    """Pages, history, exports, spreadsheets and PDFs are read: for a user
    allowed to see confidential engagements, the marker is found in each."""
    user = _member(TASK_FORCE)
    user.user_permissions.add(
        Permission.objects.get(codename="view_confidential_engagement")
    )
    client = Client()
    client.force_login(user)
    secret, former = planted["secret"], planted["former"]
    partner = planted["world"]["partners.partner"]
    addresses = [
        f"/admin/partners/engagement/{secret.pk}/change/",
        f"/admin/partners/engagement/{former.pk}/history/",
        f"/admin/partners/followup/{planted['followup'].pk}/change/",
        f"/admin/reports/printlog/print/partner/{partner.pk}/",
        "/admin/reports/dashboards/followups/download.xlsx",
        "/admin/reports/dashboards/followups/download.pdf",
        f"/admin/search/?q={MARKER[:-2]}",
        f"/admin/search/suggest/?q={MARKER[:-2]}",
    ]
    exports = [
        (address, data)
        for address, data in _posts(client)
        if address == "/admin/partners/engagement/export/"
    ]

    unread = [a for a in addresses if MARKER not in _text(client.get(a))]
    unread += [
        f"{address} format {data['format']}"
        for address, data in exports
        if MARKER not in _text(client.post(address, data))
    ]

    assert len(exports) >= 2  # CSV and XLSX at least
    assert unread == []


def test_every_url_argument_is_known(db):
    unknown = {
        (route.name or route.route, argument)
        for route in _routes()
        for argument in route.arguments
        if argument not in KNOWN_ARGUMENTS
        and (route.name, argument) not in ARGUMENTS_BY_URL
    }
    assert unknown == set()
