"""The permission matrix: each role, each admin page, the expected answer.

Pages are asked for over HTTP as a member of the role's group (set up by
``roles_setup``). Read the table as "what may a member of this role do with
these records"; a page not allowed answers 403. Actions are not listed here:
every action of every admin declares ``permissions=``, and each role is
offered, and may run, exactly those whose permissions it holds.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.translation import gettext

from crm.models import ExportLog, ImportBatch
from crm.roles import ADMINISTRATOR, FINANCE, TASK_FORCE, VIEWER, roles_setup
from partners.models import MergeLog
from reports.models import PrintLog
from tests.factories import (
    AffiliationFactory,
    CountryAliasFactory,
    CountryFactory,
    EngagementFactory,
    EventFactory,
    ExchangeRateFactory,
    FollowUpFactory,
    InstallmentFactory,
    LeverFactory,
    MeetingFactory,
    MembershipFactory,
    PartnerFactory,
    PaymentFactory,
    PledgeFactory,
    TagFactory,
    TargetFactory,
    UnitValueFactory,
    UserFactory,
    document_of,
)

pytestmark = pytest.mark.django_db

ROLES = (TASK_FORCE, FINANCE, VIEWER, ADMINISTRATOR)
V = "v"  # list and read-only record page
VA = "va"  # also add
VAC = "vac"  # also add and change
ALL = "vacd"  # also delete
NONE = ""
OWN = "o"  # list of one's own entries; another user's entry answers 404

# model: (Task force, Finance, Viewer, Administrator)
MATRIX: dict[str, tuple[str, str, str, str]] = {
    "partners.partner": (VAC, V, V, ALL),
    "partners.membership": (VAC, V, V, ALL),
    "partners.contact": (VAC, V, V, ALL),
    "partners.affiliation": (ALL, V, V, ALL),
    "partners.event": (VAC, V, V, ALL),
    "partners.engagement": (VAC, V, V, ALL),
    "partners.followup": (ALL, V, V, ALL),
    "partners.tag": (VAC, V, V, ALL),
    "partners.unitvalue": (V, V, V, ALL),
    # Written by merges only; undone from its page by those who may merge.
    "partners.mergelog": (V, V, V, V),
    "pledges.pledge": (VAC, V, V, ALL),
    "pledges.installment": (V, ALL, V, ALL),
    "pledges.payment": (V, ALL, V, ALL),
    "pledges.lever": (V, V, V, ALL),
    "pledges.target": (V, V, V, ALL),
    "reports.meeting": (VAC, V, V, ALL),
    # Added on the page of their record only; Finance keeps receipts on payments.
    "documents.document": ("vcd", "vcd", V, "vcd"),
    "crm.country": (V, V, V, ALL),
    "crm.countryalias": (V, V, V, ALL),
    "crm.exchangerate": (V, ALL, V, ALL),
    # The import log and the print log are written by the application only;
    # the print log is pruned by a superuser only. The print and export logs
    # are audit records: Administrators read everyone's entries, whoever may
    # print reads their own prints (the owner's entry is not theirs).
    "crm.importbatch": (V, V, V, V + "d"),
    "reports.printlog": (OWN, NONE, NONE, V),
    "crm.exportlog": (NONE, NONE, NONE, V),
    "auth.user": (V, V, NONE, ALL),
    "auth.group": (NONE, NONE, NONE, ALL),
}

# Changelists with Import and Export: who may import, who may export.
IMPORTS = {
    "partners.partner": (True, False, False, True),
    "partners.contact": (True, False, False, True),
    "partners.engagement": (True, False, False, True),
    "pledges.pledge": (True, False, False, True),
    "pledges.payment": (False, True, False, True),
    "crm.exchangerate": (False, True, False, True),
}
EXPORTS = dict.fromkeys(IMPORTS, (True, True, False, True))
# Who may merge duplicates (the merge page, the list's action, undo).
MERGES = (True, False, False, True)
# Who may undo another user's import ("Can undo imports"); the uploader may
# always undo their own.
UNDOES = (False, False, False, True)
PRINTS = (True, False, False, True)


def records(user) -> dict:
    partner = PartnerFactory()
    pledge = PledgeFactory(partner=partner)
    engagement = EngagementFactory(partners=[partner])
    return {
        "partners.partner": partner,
        "partners.membership": MembershipFactory(partner=partner),
        "partners.contact": AffiliationFactory(partner=partner).contact,
        "partners.affiliation": AffiliationFactory(partner=partner),
        "partners.event": EventFactory(),
        "partners.engagement": engagement,
        "partners.followup": FollowUpFactory(partner=partner, engagement=engagement),
        "partners.tag": TagFactory(),
        "partners.unitvalue": UnitValueFactory(),
        "partners.mergelog": MergeLog.objects.create(
            kind="partner", survivor_id=partner.pk, summary="A ← B", merged_by=user
        ),
        "pledges.pledge": pledge,
        "pledges.installment": InstallmentFactory(pledge=pledge),
        "pledges.payment": PaymentFactory(pledge=pledge),
        "pledges.lever": LeverFactory(),
        "pledges.target": TargetFactory(),
        "reports.meeting": MeetingFactory(partners=[partner]),
        "documents.document": document_of(partner),
        "crm.country": CountryFactory(),
        "crm.countryalias": CountryAliasFactory(),
        "crm.exchangerate": ExchangeRateFactory(),
        "crm.importbatch": ImportBatch.objects.create(
            resource="partners", file_name="partners.csv", user=user
        ),
        "reports.printlog": PrintLog.objects.create(
            user=user, document=PrintLog.Document.values[0], title="Pack"
        ),
        "crm.exportlog": ExportLog.objects.create(
            user=user, source="list", what="partners", file_format="csv", rows=1
        ),
        "auth.user": user,
        "auth.group": Group.objects.first(),
    }


@pytest.fixture
def matrix_world(db):
    roles_setup()
    owner = UserFactory(is_staff=True, username="owner")
    return records(owner)


def member(role: str):
    user = UserFactory(is_staff=True, username=role.lower().replace(" ", "_"))
    user.groups.add(Group.objects.get(name=role))
    return user


def url(label: str, page: str, obj=None) -> str:
    app, model = label.split(".")
    args = [obj.pk] if page in ("change", "delete") else []
    return reverse(f"admin:{app}_{model}_{page}", args=args)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_on_each_admin_page(
    client, matrix_world, role
):
    client.force_login(member(role))
    column = ROLES.index(role)
    answers, expected = {}, {}
    for label, row in MATRIX.items():
        allowed = row[column]
        obj = matrix_world[label]
        for page, letter in (
            ("changelist", "v"),
            ("add", "a"),
            ("change", "v"),
            ("delete", "d"),
        ):
            response = client.get(url(label, page, obj))
            answers[label, page] = response.status_code
            expected[label, page] = 200 if letter in allowed else 403
            if OWN in allowed and page in ("changelist", "change"):
                expected[label, page] = 200 if page == "changelist" else 404
            if page == "change" and response.status_code == 200:
                saves = b'name="_save"' in response.content
                answers[label, "save"] = saves
                expected[label, "save"] = "c" in allowed
    wrong = {k: (answers[k], expected[k]) for k in answers if answers[k] != expected[k]}
    assert wrong == {}, "(got, expected)"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_imports_and_exports_only_where_allowed(client, matrix_world, role):
    client.force_login(member(role))
    column = ROLES.index(role)
    answers, expected = {}, {}
    for label, row in IMPORTS.items():
        answers[label, "import"] = client.get(url(label, "import")).status_code
        expected[label, "import"] = 200 if row[column] else 403
        answers[label, "export"] = client.get(url(label, "export")).status_code
        expected[label, "export"] = 200 if EXPORTS[label][column] else 403
    for slug in ("activity", "contributions"):
        for fmt in ("csv", "xlsx"):
            address = reverse("reports_download", args=[slug, fmt])
            answers[slug, fmt] = client.get(address).status_code
            expected[slug, fmt] = 200 if EXPORTS["partners.partner"][column] else 403
    assert answers == expected


@pytest.mark.parametrize("role", ROLES)
def test_each_role_prints_only_where_allowed(client, matrix_world, role):
    client.force_login(member(role))
    partner = matrix_world["partners.partner"]
    response = client.get(reverse("admin:reports_print_partner", args=[partner.pk]))
    assert response.status_code == (200 if PRINTS[ROLES.index(role)] else 403)


def test_the_viewer_sees_no_export_or_print_button(client, matrix_world):
    client.force_login(member(VIEWER))
    html = client.get(url("partners.partner", "changelist")).content.decode()
    assert url("partners.partner", "export") not in html
    assert url("partners.partner", "import") not in html
    page = client.get(reverse("reports_dashboard", args=["activity"]))
    assert b"download.csv" not in page.content
    assert b"download.xlsx" not in page.content


def test_exports_and_report_downloads_are_logged(admin_client, superuser, db):
    PartnerFactory.create_batch(3)
    url_ = reverse("admin:partners_partner_export")
    form = admin_client.get(url_).context["form"]
    data = {"format": "0", "resource": "0"}
    data |= {
        n: "on" for n, f in form.fields.items() if f.widget.input_type == "checkbox"
    }
    response = admin_client.post(url_, data)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    admin_client.get(reverse("reports_download", args=["activity", "xlsx"]))

    listed, report = ExportLog.objects.order_by("exported_at", "pk")
    assert (listed.user, listed.source, listed.rows) == (superuser, "list", 3)
    assert listed.what == "partners"
    assert (report.user, report.source, report.file_format) == (
        superuser,
        "report",
        "xlsx",
    )


# Actions -------------------------------------------------------------------


def site_actions(request) -> list[tuple[type, object, str, object]]:
    """(model, model admin, name, function) of every action of every admin.

    The actions a superuser is offered (site-wide ones such as "Delete
    selected" included) and those the admin declares, so an action hidden
    from everyone still counts.
    """
    found = []
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        actions = {a.name: a.func for a in model_admin.get_actions(request).values()}
        for action in model_admin.actions or ():
            func = action if callable(action) else getattr(type(model_admin), action)
            actions.setdefault(func.__name__, func)
        found += [(model, model_admin, n, f) for n, f in sorted(actions.items())]
    return found


@pytest.fixture
def superuser_request(rf, db):
    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True, username="root")
    return request


def test_every_action_declares_the_permissions_it_needs(superuser_request):
    actions = site_actions(superuser_request)
    assert len(actions) > 30
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, _admin, name, func in actions
        if not getattr(func, "allowed_permissions", None)
    ]
    assert undeclared == []


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def offered_actions(page) -> set[str]:
    """The actions a list page offers in its drop-down."""
    form = page.context["action_form"]
    return {name for name, _label in form.fields["action"].choices} if form else set()


def action_is_refused(response) -> bool:
    """Django refuses an action with 403, the list again, or "No action selected"."""
    if response.status_code == 403:
        return True
    if response.context and "cl" in response.context:
        return True
    said = [str(m) for m in get_messages(response.wsgi_request)]
    return gettext("No action selected.") in said


@pytest.mark.parametrize("role", ROLES)
def test_each_role_runs_exactly_the_actions_its_permissions_allow(
    client, matrix_world, superuser_request, role
):
    user = member(role)
    client.force_login(user)
    answers, expected = {}, {}
    for model, model_admin, name, func in site_actions(superuser_request):
        address = changelist(model)
        page = client.get(address)
        request = page.wsgi_request
        allowed = model_admin.has_view_or_change_permission(request) and all(
            getattr(model_admin, f"has_{p}_permission")(request)
            for p in func.allowed_permissions
        )
        key = f"{model._meta.label}.{name}"
        if page.status_code == 200:
            answers[key, "offered"] = name in offered_actions(page)
            expected[key, "offered"] = allowed
        obj = matrix_world.get(model._meta.label.lower())
        obj = obj or model._default_manager.first()
        response = client.post(
            address,
            {"action": name, "_selected_action": [obj.pk if obj else 0], "index": 0},
        )
        answers[key, "runs"] = not action_is_refused(response)
        expected[key, "runs"] = allowed
    wrong = {k: (answers[k], expected[k]) for k in answers if answers[k] != expected[k]}
    assert wrong == {}, "(got, expected)"
    if role in (VIEWER, FINANCE):
        assert not any(v for (k, _what), v in answers.items() if k.endswith("inactive"))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_undoes_imports_only_where_allowed(client, matrix_world, role):
    user = member(role)
    client.force_login(user)
    allowed = UNDOES[ROLES.index(role)]
    theirs = matrix_world["crm.importbatch"]  # uploaded by another user
    mine = ImportBatch.objects.create(
        resource="partners", file_name="mine.csv", user=user
    )
    answers = {
        name: client.get(
            reverse("admin:crm_importbatch_undo", args=[batch.pk])
        ).status_code
        for name, batch in {"theirs": theirs, "mine": mine}.items()
    }
    assert answers == {"theirs": 200 if allowed else 403, "mine": 200}
    assert user.has_perm("crm.undo_import") == allowed
    # Refused by the service too (a batch not imported: nothing to undo).
    answer = client.post(reverse("admin:crm_importbatch_undo", args=[theirs.pk]))
    assert answer.status_code == (302 if allowed else 403)


@pytest.mark.parametrize("role", [VIEWER, FINANCE])
def test_viewer_and_finance_cannot_mark_partners_inactive(client, matrix_world, role):
    client.force_login(member(role))
    partner = matrix_world["partners.partner"]
    address = changelist(partner._meta.model)

    offered = offered_actions(client.get(address))
    client.post(
        address,
        {"action": "mark_inactive", "_selected_action": [partner.pk], "index": 0},
    )

    assert "mark_inactive" not in offered
    partner.refresh_from_db()
    assert partner.is_active


@pytest.mark.parametrize("role", ROLES)
def test_each_role_merges_only_where_allowed(client, matrix_world, role):
    client.force_login(member(role))
    allowed = MERGES[ROLES.index(role)]
    partner = matrix_world["partners.partner"]
    other = PartnerFactory(name=partner.name)  # a duplicate to list
    contact = matrix_world["partners.contact"]
    pages = {
        "partner merge": url("partners.partner", "merge")
        + f"?ids={partner.pk},{other.pk}",
        "contact merge": url("partners.contact", "merge")
        + f"?ids={contact.pk},{AffiliationFactory().contact.pk}",
    }
    answers = {name: client.get(page).status_code for name, page in pages.items()}
    log = matrix_world["partners.mergelog"]
    answers["undo"] = client.post(
        reverse("admin:partners_mergelog_undo", args=[log.pk])
    ).status_code
    expected = dict.fromkeys(pages, 200 if allowed else 403)
    # Allowed, the undo is refused (nothing recorded) and goes back to the log.
    expected["undo"] = 302 if allowed else 403
    assert answers == expected
    duplicates = client.get(url("partners.partner", "duplicates"))
    assert duplicates.status_code == 200
    assert (b"Not a duplicate" in duplicates.content) == allowed
