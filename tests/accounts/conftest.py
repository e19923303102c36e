from __future__ import annotations

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from tests.factories import UserFactory

PASSWORD = "password"


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app linked to ``device`` shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_app(alice):
    """Alice's linked authenticator app, and her backup codes."""
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    codes = twofactor.new_backup_codes(alice)
    return device, codes


def sign_in(client, username: str = "alice", password: str = PASSWORD, **extra):
    return client.post(
        "/admin/login/?next=/admin/partners/partner/",
        {
            "username": username,
            "password": password,
            "next": "/admin/partners/partner/",
        },
        **extra,
    )
