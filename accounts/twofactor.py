"""Who owes a second factor, and the devices that provide it.

A user's second factor is one confirmed TOTP device (an authenticator app)
plus one static device holding single-use backup codes. Whether the user has
one is read once at sign-in and kept in the session, so admin pages pay no
query for it; the pages that change it update the session too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

SESSION_KEY = "accounts_second_factor"
HAS_DEVICE = "device"
NO_DEVICE = "none"
BACKUP_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def is_required(user) -> bool:
    """Whether settings oblige this user to sign in with a second factor."""
    return bool(settings.OTP_REQUIRED_FOR_STAFF and user.is_staff)


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remember_state(request, user) -> str:
    state = HAS_DEVICE if has_device(user) else NO_DEVICE
    request.session[SESSION_KEY] = state
    return state


def remember_state_at_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember_state(request, user)


def state(request) -> str:
    """HAS_DEVICE or NO_DEVICE for the signed-in user (cached in the session)."""
    value = request.session.get(SESSION_KEY)
    if value not in (HAS_DEVICE, NO_DEVICE):
        value = remember_state(request, request.user)
    return value


def next_step(request) -> str | None:
    """ "verify", "setup" or None: what a signed-in user must do before the admin."""
    user = request.user
    if not user.is_authenticated:
        return None
    if state(request) == HAS_DEVICE:
        return None if user.is_verified() else "verify"
    return "setup" if is_required(user) else None


def backup_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user).first()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def new_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with BACKUP_CODE_COUNT fresh ones."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": BACKUP_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def pending_app_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (one per user), created if needed."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=APP_DEVICE_NAME, confirmed=False
        )
    return device


@transaction.atomic
def confirm_app_device(user, device: TOTPDevice) -> list[str]:
    """Make ``device`` the user's only app; returns fresh backup codes."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_backup_codes(user)


@transaction.atomic
def remove_devices(user) -> int:
    """Turn two-factor sign-in off for ``user``; returns how many devices went."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    return removed


def normalise_code(raw: str) -> str:
    """What the user typed, without the spaces and dashes apps and paper add."""
    return "".join(ch for ch in raw if ch not in " -\u00a0\t").lower()
