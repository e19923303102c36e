"""Access to confidential engagements is granted by superusers only, and logged.

An Administrator (user management, not a superuser) tries every way to give
someone, or themselves, the permission: directly, through a group, by adding
it to a group, by making a superuser; and to edit a superuser. A superuser
grants it, and the grant is in the user's admin history and the security log.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from crm.roles import ADMINISTRATOR, roles_setup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def permission(db):
    return Permission.objects.get(codename="view_confidential_engagement")


@pytest.fixture
def administrator(db):
    roles_setup()
    user = UserFactory(username="administrator", is_staff=True)
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return user


@pytest.fixture
def administrator_client(administrator):
    client = Client()
    client.force_login(administrator)
    return client


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", is_staff=True)


@pytest.fixture
def trusted_group(permission):
    group = Group.objects.create(name="Trusted")
    group.permissions.add(permission)
    return group


def _change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def _form_data(client, obj, **changes) -> dict:
    """The change form of ``obj`` as the browser would send it, with ``changes``."""
    form = client.get(_change_url(obj)).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        if isinstance(value, list | tuple) and name in ("last_login", "date_joined"):
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value
    for name in ("last_login", "date_joined"):
        value = getattr(obj, name, None)
        if value is not None:
            data[f"{name}_0"] = value.date().isoformat()
            data[f"{name}_1"] = value.time().strftime("%H:%M:%S")
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _sees_confidential(user) -> bool:
    user = type(user).objects.get(pk=user.pk)
    return user.has_perm("partners.view_confidential_engagement")


def test_an_administrator_cannot_grant_it_directly(
    administrator_client, colleague, permission
):
    data = _form_data(administrator_client, colleague, user_permissions=[permission.pk])

    response = administrator_client.post(_change_url(colleague), data)

    assert response.status_code == 200
    assert "Only a superuser may grant or withdraw" in response.content.decode()
    assert not _sees_confidential(colleague)


def test_an_administrator_cannot_grant_it_to_themselves(
    administrator_client, administrator, permission
):
    data = _form_data(
        administrator_client,
        administrator,
        user_permissions=[permission.pk],
    )

    administrator_client.post(_change_url(administrator), data)

    assert not _sees_confidential(administrator)


def test_an_administrator_cannot_grant_it_through_a_group(
    administrator_client, colleague, trusted_group
):
    data = _form_data(administrator_client, colleague, groups=[trusted_group.pk])

    response = administrator_client.post(_change_url(colleague), data)

    assert "Only a superuser may grant or withdraw" in response.content.decode()
    assert not colleague.groups.exists()


def test_an_administrator_cannot_withdraw_it(
    administrator_client, colleague, permission
):
    colleague.user_permissions.add(permission)
    data = _form_data(administrator_client, colleague, user_permissions=[])

    response = administrator_client.post(_change_url(colleague), data)

    assert "Only a superuser may grant or withdraw" in response.content.decode()
    assert _sees_confidential(colleague)


def test_an_administrator_may_still_change_other_things(
    administrator_client, colleague
):
    data = _form_data(administrator_client, colleague, first_name="Renamed")

    response = administrator_client.post(_change_url(colleague), data)

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.first_name == "Renamed"


def test_an_administrator_cannot_add_it_to_a_group(
    administrator_client, administrator, permission
):
    group = Group.objects.get(name=ADMINISTRATOR)
    data = _form_data(
        administrator_client,
        group,
        permissions=[*group.permissions.values_list("pk", flat=True), permission.pk],
    )

    response = administrator_client.post(_change_url(group), data)

    assert "Only a superuser may add the permission" in response.content.decode()
    assert not _sees_confidential(administrator)


def test_an_administrator_cannot_edit_a_group_that_holds_it(
    administrator_client, trusted_group
):
    response = administrator_client.post(
        _change_url(trusted_group), {"name": "Renamed", "permissions": []}
    )

    assert response.status_code == 403
    assert trusted_group.permissions.exists()


def test_an_administrator_cannot_make_a_superuser(administrator_client, colleague):
    data = _form_data(administrator_client, colleague, is_superuser="on")

    administrator_client.post(_change_url(colleague), data)

    colleague.refresh_from_db()
    assert not colleague.is_superuser


def test_an_administrator_cannot_edit_a_superuser(administrator_client, superuser):
    page = administrator_client.get(_change_url(superuser))
    response = administrator_client.post(
        _change_url(superuser), {"username": "taken-over", "is_active": ""}
    )
    password = administrator_client.get(
        reverse("admin:auth_user_password_change", args=[superuser.pk])
    )

    assert not page.context["has_change_permission"]
    assert response.status_code == 403
    assert password.status_code == 403
    superuser.refresh_from_db()
    assert (superuser.username, superuser.is_active) == ("admin", True)


def test_a_superuser_grants_it_and_the_grant_is_logged(
    admin_client, superuser, colleague, permission, caplog
):
    data = _form_data(admin_client, colleague, user_permissions=[permission.pk])

    with caplog.at_level(logging.WARNING, logger="accounts.security"):
        response = admin_client.post(_change_url(colleague), data)

    assert response.status_code == 302
    assert _sees_confidential(colleague)
    entry = LogEntry.objects.get(
        object_id=str(colleague.pk), change_message__startswith="Granted"
    )
    assert entry.user == superuser
    assert entry.get_change_message() == (
        "Granted access to confidential engagements (was: none; now: own permission)."
    )
    history = admin_client.get(
        reverse("admin:auth_user_history", args=[colleague.pk])
    ).content.decode()
    assert "Granted access to confidential engagements" in history
    assert "confidential access of colleague changed by admin" in caplog.text


def test_a_superuser_adding_it_to_a_group_is_logged_for_each_member(
    admin_client, colleague, permission
):
    group = Group.objects.create(name="Briefers")
    colleague.groups.add(group)
    data = _form_data(admin_client, group, permissions=[permission.pk])

    response = admin_client.post(_change_url(group), data)

    assert response.status_code == 302
    assert _sees_confidential(colleague)
    messages = set(
        LogEntry.objects.filter(action_flag=2).values_list("change_message", flat=True)
    )
    assert "Added the permission to see confidential engagements." in messages
    assert (
        "Added the permission to see confidential engagements. "
        "(through group “Briefers”)"
    ) in messages
