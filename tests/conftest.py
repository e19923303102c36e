from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory


def pytest_collection_modifyitems(config, items):
    """Deselect the ``postgresql`` tests when the suite runs on another database."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgresql") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True, username="admin")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_user(db):
    """A task-force member without the confidential permission."""
    user = UserFactory(is_staff=True, username="staff")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["partners", "crm"]
        ).exclude(codename="view_confidential_engagement")
    )
    return user
