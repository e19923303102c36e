"""Keep a signed-in user who owes a second factor on the code pages.

Runs after ``django_otp.middleware.OTPMiddleware``. Any page other than the
sign-in, sign-out and two-factor pages (and static files and the health check)
redirects to the code page, or to the set-up page when settings require a
second factor the user has not set up yet.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from accounts import twofactor


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def exempt(self, path: str) -> bool:
        open_paths = (
            reverse("admin:login"),
            reverse("admin:logout"),
            reverse("accounts:verify"),
            reverse("accounts:setup"),
            reverse("health"),
            "/" + settings.STATIC_URL.lstrip("/"),
        )
        return path.startswith(open_paths)

    def __call__(self, request):
        if not self.exempt(request.path):
            step = twofactor.next_step(request)
            if step is not None:
                target = reverse(f"accounts:{step}")
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{target}?{query}")
        return self.get_response(request)
