from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from crm.models import ExportLog
from crm.roles import ADMINISTRATOR, FINANCE, TASK_FORCE, VIEWER, roles_setup
from reports.models import PrintLog
from tests.factories import EngagementFactory, UserFactory

pytestmark = pytest.mark.django_db


def member_of(role: str):
    roles_setup()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_setup_roles_is_idempotent(capsys):
    call_command("setup_roles")
    first = {g.name: g.permissions.count() for g in Group.objects.all()}
    call_command("setup_roles")
    second = {g.name: g.permissions.count() for g in Group.objects.all()}
    assert first == second
    assert set(first) == {TASK_FORCE, FINANCE, VIEWER, ADMINISTRATOR}
    assert "Task force:" in capsys.readouterr().out


def test_a_task_force_member_logs_engagements_but_deletes_no_partner(client):
    user = member_of(TASK_FORCE)
    assert user.has_perm("partners.add_engagement")
    assert user.has_perm("partners.change_partner")
    assert not user.has_perm("partners.delete_partner")
    client.force_login(user)
    assert client.get("/admin/partners/engagement/add/").status_code == 200
    assert client.get("/admin/partners/partner/").status_code == 200


def test_no_role_sees_confidential_engagements_by_default():
    for role in (TASK_FORCE, FINANCE, VIEWER, ADMINISTRATOR):
        assert not member_of(role).has_perm("partners.view_confidential_engagement")


def test_a_viewer_reads_but_cannot_change(client):
    user = member_of(VIEWER)
    engagement = EngagementFactory()
    client.force_login(user)
    assert client.get("/admin/partners/engagement/").status_code == 200
    assert client.get("/admin/partners/engagement/add/").status_code == 403
    page = client.get(f"/admin/partners/engagement/{engagement.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def test_finance_records_exchange_rates_and_reads_partners(client):
    user = member_of(FINANCE)
    client.force_login(user)
    assert client.get("/admin/crm/exchangerate/add/").status_code == 200
    assert client.get("/admin/partners/partner/add/").status_code == 403
    assert client.get("/admin/partners/partner/").status_code == 200


@pytest.fixture
def someone_elses_print(db):
    owner = UserFactory(is_staff=True, username="owner")
    return PrintLog.objects.create(
        user=owner,
        document=PrintLog.Document.PARTNER_BRIEF,
        title="Partner brief: Government of Secretland",
    )


def print_log_pages(log) -> dict[str, str]:
    return {
        "list": reverse("admin:reports_printlog_changelist"),
        "search": reverse("admin:reports_printlog_changelist") + "?q=Secretland",
        "entry": reverse("admin:reports_printlog_change", args=[log.pk]),
        "history": reverse("admin:reports_printlog_history", args=[log.pk]),
        "download": reverse("admin:reports_printlog_download", args=[log.pk]),
    }


def test_a_viewer_reads_no_print_log(client, someone_elses_print):
    client.force_login(member_of(VIEWER))

    answers = {
        page: client.get(address).status_code
        for page, address in print_log_pages(someone_elses_print).items()
    }

    # The history page looks the entry up before it asks for permission.
    assert answers == {
        "list": 403,
        "search": 403,
        "entry": 403,
        "history": 404,
        "download": 403,
    }
    index = client.get(reverse("admin:index")).text
    assert reverse("admin:reports_printlog_changelist") not in index


def test_a_task_force_member_sees_only_their_own_prints(client, someone_elses_print):
    user = member_of(TASK_FORCE)
    mine = PrintLog.objects.create(
        user=user, document=PrintLog.Document.COUNTRY_BRIEF, title="Country brief: Mine"
    )
    client.force_login(user)
    pages = print_log_pages(someone_elses_print)

    listed = client.get(pages["list"])
    found = client.get(pages["search"])

    assert listed.status_code == 200
    assert "Country brief: Mine" in listed.text
    assert "Government of Secretland" not in listed.text
    assert found.context["cl"].result_count == 0
    assert client.get(pages["entry"]).status_code == 404
    assert client.get(pages["history"]).status_code == 404
    assert client.get(pages["download"]).status_code == 403
    own = client.get(reverse("admin:reports_printlog_change", args=[mine.pk]))
    assert own.status_code == 200


def test_an_administrator_sees_everyones_prints(client, someone_elses_print):
    client.force_login(member_of(ADMINISTRATOR))
    pages = print_log_pages(someone_elses_print)

    listed = client.get(pages["list"])
    entry = client.get(pages["entry"])

    assert "Partner brief: Government of Secretland" in listed.text
    assert entry.status_code == 200
    assert "Partner brief: Government of Secretland" in entry.text
    assert "owner" in entry.text


@pytest.mark.parametrize(
    ("role", "status"),
    [(TASK_FORCE, 403), (FINANCE, 403), (VIEWER, 403), (ADMINISTRATOR, 200)],
)
def test_only_administrators_read_the_export_log(client, role, status):
    export = ExportLog.objects.create(
        user=UserFactory(username="exporter"),
        source=ExportLog.Source.LIST,
        what="partners",
        file_format="xlsx",
        rows=120,
    )
    client.force_login(member_of(role))

    listed = client.get(reverse("admin:crm_exportlog_changelist"))
    entry = client.get(reverse("admin:crm_exportlog_change", args=[export.pk]))

    assert (listed.status_code, entry.status_code) == (status, status)


def test_setup_roles_takes_the_audit_logs_back_from_the_other_roles():
    roles_setup()
    audit = Permission.objects.filter(codename__in=["view_printlog", "view_exportlog"])
    for role in (TASK_FORCE, FINANCE, VIEWER):
        Group.objects.get(name=role).permissions.add(*audit)

    call_command("setup_roles")

    for role in (TASK_FORCE, FINANCE, VIEWER):
        kept = Group.objects.get(name=role).permissions.filter(pk__in=audit)
        assert not kept.exists(), role
    administrators = Group.objects.get(name=ADMINISTRATOR).permissions
    assert administrators.filter(pk__in=audit).count() == 2
