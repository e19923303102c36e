"""The permission matrix: each role, each admin page, the expected answer.

Pages are asked for over HTTP as a member of the role's group (set up by
``roles_setup``). Read the table as "what may a member of this role do with
these records"; a page not allowed answers 403.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.models import ExportLog, ImportBatch
from crm.roles import ADMINISTRATOR, FINANCE, TASK_FORCE, VIEWER, roles_setup
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
    "pledges.pledge": (VAC, V, V, ALL),
    "pledges.installment": (V, ALL, V, ALL),
    "pledges.payment": (V, ALL, V, ALL),
    "pledges.lever": (V, V, V, ALL),
    "pledges.target": (V, V, V, ALL),
    "reports.meeting": (VAC, V, V, ALL),
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
        "pledges.pledge": pledge,
        "pledges.installment": InstallmentFactory(pledge=pledge),
        "pledges.payment": PaymentFactory(pledge=pledge),
        "pledges.lever": LeverFactory(),
        "pledges.target": TargetFactory(),
        "reports.meeting": MeetingFactory(partners=[partner]),
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
