from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from crm.roles import CONFIDENTIAL_PERMISSION, TASK_FORCE, VIEWER, roles_setup
from tests.factories import (
    AffiliationFactory,
    ContactFactory,
    PartnerFactory,
    UserFactory,
)


@pytest.fixture
def roles(db):
    roles_setup()


def member(role: str, username: str, *, confidential: bool = False, **fields):
    user = UserFactory(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    if confidential:
        app, codename = CONFIDENTIAL_PERMISSION.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


@pytest.fixture
def desk(roles):
    """A task-force member, desk@itu.example, without the confidential permission."""
    return member(TASK_FORCE, "desk", email="desk@itu.example")


@pytest.fixture
def trusted(roles):
    return member(TASK_FORCE, "trusted", confidential=True)


@pytest.fixture
def viewer(roles):
    return member(VIEWER, "viewer")


@pytest.fixture
def mission(db):
    """A mission with its ambassador, ana.silva@mission.example."""
    partner = PartnerFactory(name="Permanent Mission of Portugal")
    ana = ContactFactory(
        first_name="Ana", last_name="Silva", email="Ana.Silva@mission.example"
    )
    AffiliationFactory(partner=partner, contact=ana)
    return {"partner": partner, "ana": ana}
