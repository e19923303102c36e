"""Pages for two-factor sign-in, and the page shown when sign-in is locked.

``verify`` and ``setup`` are reachable by a user who has given only their
password (the middleware sends them there); every other page needs the
second factor too.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.models import VerifyNotAllowed

from accounts import twofactor
from accounts.forms import CodeForm

log = logging.getLogger(__name__)

SESSION_NEW_CODES = "accounts_new_backup_codes"
# Wrong codes in a row after which the page says how long to wait (the wait
# doubles from one second with each wrong code).
WAIT_NOTE_AFTER = 3


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _throttle_message(device) -> str | None:
    """Why codes are refused right now (too many wrong ones), if they are."""
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return None
    if data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        until = timezone.localtime(data["locked_until"])
        return _(
            "Too many wrong codes in a row. Wait until %(time)s, then enter "
            "the code your app shows at that moment."
        ) % {"time": time_format(until, "H:i:s")}
    return str(data.get("error_message") or _("Codes are not accepted right now."))


def _wrong_code(device, message: str) -> str:
    """``message``, and when the next try may come if that is worth saying."""
    device.refresh_from_db()
    if device.throttling_failure_count >= WAIT_NOTE_AFTER:
        wait = _throttle_message(device)
        if wait:
            return f"{message} {wait}"
    return message


def _signed_in_with(request: HttpRequest, device) -> None:
    # A new session key for the more trusted session.
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[twofactor.SESSION_KEY] = twofactor.HAS_DEVICE


staff_login_required = login_required(login_url="admin:login")


@never_cache
@staff_login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a code from the app, or a backup code."""
    user = request.user
    next_url = _next_url(request)
    app = twofactor.app_device(user)
    if app is None:
        # Reset by an administrator since this session began.
        twofactor.remember_state(request, user)
        if twofactor.is_required(user):
            return redirect(_with_next("accounts:setup", next_url))
        return redirect(next_url)
    if user.is_verified():
        return redirect(next_url)

    form = CodeForm(request.POST or None)
    error = _throttle_message(app)
    if request.method == "POST" and error is None and form.is_valid():
        code = form.cleaned_data["code"]
        if code.isdigit() and len(code) == app.digits:
            device = django_otp.verify_token(user, app.persistent_id, code)
        else:
            backup = twofactor.backup_device(user)
            device = (
                django_otp.verify_token(user, backup.persistent_id, code)
                if backup
                else None
            )
        if device is not None:
            _signed_in_with(request, device)
            if device != app:
                left = twofactor.backup_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a backup code; %(count)d is left.",
                        "You signed in with a backup code; %(count)d are left.",
                        left,
                    )
                    % {"count": left}
                    + (
                        " " + _("Make new ones on the Two-factor sign-in page.")
                        if left < 4
                        else ""
                    ),
                )
            return redirect(next_url)
        log.warning("Wrong second-factor code for user %s", user.get_username())
        error = _wrong_code(
            app,
            _(
                "That code is not right. Enter the six digits your "
                "authenticator app shows now (check the phone's clock is "
                "right), or one of your backup codes."
            ),
        )
    return render(
        request,
        "accounts/verify.html",
        _context(
            request,
            _("Two-factor sign-in"),
            form=form,
            error=error,
            next=next_url,
        ),
    )


def _qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(
        scale=4, dark="#000", light="#fff", omitsize=False
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@staff_login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Link an authenticator app: scan the QR code, confirm with a code."""
    user = request.user
    if not user.is_verified() and twofactor.has_device(user):
        # Replacing an app needs the current one (or a backup code) first.
        twofactor.remember_state(request, user)
        return redirect(_with_next("accounts:verify", request.path))
    next_url = _next_url(request)
    device = twofactor.pending_app_device(user)
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = twofactor.confirm_app_device(user, device)
            _signed_in_with(request, device)
            request.session[SESSION_NEW_CODES] = codes
            log.info("Two-factor sign-in set up for user %s", user.get_username())
            messages.success(request, _("Two-factor sign-in is on for your account."))
            return redirect(_with_next("accounts:backup_codes", next_url))
        error = _wrong_code(
            device,
            _(
                "That code is not right. Scan the QR code again or type the "
                "key, then enter the six digits the app shows now."
            ),
        )
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/setup.html",
        _context(
            request,
            _("Set up two-factor sign-in"),
            form=form,
            error=error,
            next=next_url,
            qr_code=_qr_data_uri(device.config_url),
            secret=_grouped(secret),
            required=twofactor.is_required(user),
            replacing=twofactor.state(request) == twofactor.HAS_DEVICE,
        ),
    )


@never_cache
@staff_login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    app = twofactor.app_device(user)
    return render(
        request,
        "accounts/overview.html",
        _context(
            request,
            _("Two-factor sign-in"),
            app=app,
            required=twofactor.is_required(user),
            codes_left=twofactor.backup_codes_left(user) if app else 0,
            form=CodeForm(),
        ),
    )


@never_cache
@staff_login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Shows freshly made codes once; POST makes a new set."""
    user = request.user
    if twofactor.app_device(user) is None:
        return redirect("accounts:overview")
    if request.method == "POST":
        request.session[SESSION_NEW_CODES] = twofactor.new_backup_codes(user)
        messages.success(
            request, _("New backup codes made; the old ones no longer work.")
        )
        return redirect("accounts:backup_codes")
    codes = request.session.pop(SESSION_NEW_CODES, None)
    return render(
        request,
        "accounts/backup_codes.html",
        _context(
            request,
            _("Backup codes"),
            codes=codes,
            codes_left=twofactor.backup_codes_left(user),
            next=_next_url(request),
        ),
    )


@never_cache
@staff_login_required
@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, confirmed with a current code."""
    user = request.user
    if twofactor.is_required(user):
        messages.error(
            request,
            _("Two-factor sign-in is required for staff here; it cannot be off."),
        )
        return redirect("accounts:overview")
    form = CodeForm(request.POST)
    app = twofactor.app_device(user)
    if (
        app is not None
        and form.is_valid()
        and django_otp.verify_token(user, app.persistent_id, form.cleaned_data["code"])
    ):
        twofactor.remove_devices(user)
        twofactor.remember_state(request, user)
        log.info("Two-factor sign-in turned off by user %s", user.get_username())
        messages.success(request, _("Two-factor sign-in is off for your account."))
        return redirect("accounts:overview")
    messages.error(
        request,
        (_throttle_message(app) if app else None)
        or _("That code is not right; two-factor sign-in is still on."),
    )
    return redirect("accounts:overview")


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """Axes calls this instead of signing in once there were too many failures."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    until = timezone.localtime() + settings.AXES_COOLOFF_TIME
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    log.warning(
        "Sign-in locked for %r from %s", username, request.META.get("REMOTE_ADDR")
    )
    return render(
        request,
        "accounts/locked_out.html",
        _context(
            request,
            _("Sign-in paused"),
            username=username,
            minutes=minutes,
            until=until,
            failure_limit=settings.AXES_FAILURE_LIMIT,
        ),
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
