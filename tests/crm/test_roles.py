from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from crm.roles import ADMINISTRATOR, FINANCE, TASK_FORCE, VIEWER, roles_setup
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
