"""Pages in the language the user chose (top bar), else the browser's.

The choice is stored in the user's ``Preference.language`` (empty: never
chosen). It is copied into the session when the user signs in and when they
choose, so pages read it from the session without a query; Django's
``LocaleMiddleware`` (before this one) has already picked the browser's
language, which stays when the user never chose.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SESSION_LANGUAGE = "crm_language"


def remember_language(request: HttpRequest, language: str) -> None:
    """Use ``language`` ("" for the browser's) for the rest of the session."""
    request.session[SESSION_LANGUAGE] = language


@receiver(user_logged_in, dispatch_uid="outreach_language_on_sign_in")
def _language_on_sign_in(sender, request, user, **kwargs) -> None:
    from outreach.models import Preference

    if request is not None and hasattr(request, "session"):
        # A query, not user.outreach_preference: the user object may have
        # cached "no preference" before the user chose.
        chosen = Preference.objects.filter(user=user).values_list("language")
        remember_language(request, next(iter(chosen), ("",))[0])


class UserLanguageMiddleware:
    """Activate the signed-in user's chosen language on every request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.session.get(SESSION_LANGUAGE)
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
