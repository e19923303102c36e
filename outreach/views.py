"""The user's reminder and calendar settings, .ics downloads and the feed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from outreach import calendars
from outreach.forms import PreferenceForm
from outreach.middleware import remember_language
from outreach.services import preference_for, preference_language_set, site_url
from partners.models import Event
from reports.models import Meeting

SESSION_NEW_FEED = "outreach_new_feed_url"


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
def preferences(request: HttpRequest) -> HttpResponse:
    """Digests wanted (daily, weekly), their language, and the calendar feed."""
    preference = preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        remember_language(request, form.instance.language)
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("outreach:preferences")
    return render(
        request,
        "outreach/preferences.html",
        {
            **admin.site.each_context(request),
            "title": _("Reminders and calendar"),
            "form": form,
            "preference": preference,
            "has_email": bool(request.user.email),
            "new_feed_url": request.session.pop(SESSION_NEW_FEED, None),
        },
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The top bar's language buttons: remember the choice, back to the page."""
    language = request.POST.get("language", "")
    if language and language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(
            _("“%(value)s” is not a language of this site.") % {"value": language},
            content_type="text/plain; charset=utf-8",
        )
    preference_language_set(user=request.user, language=language)
    remember_language(request, language)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("admin:index")
    return redirect(back)


@require_POST
def feed_change(request: HttpRequest) -> HttpResponse:
    """Make (or renew) the private calendar address, or revoke it."""
    if request.POST.get("action") == "revoke":
        calendars.feed_revoke(user=request.user)
        messages.success(
            request, _("Your calendar address is revoked; it no longer works.")
        )
    else:
        token = calendars.feed_renew(user=request.user)
        request.session[SESSION_NEW_FEED] = site_url(
            reverse("outreach_feed", args=[token])
        )
        messages.success(
            request,
            _(
                "A new calendar address is made; any earlier one no longer works. "
                "Copy it now: it is shown only once."
            ),
        )
    return redirect("outreach:preferences")


def meeting_download(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("reports.view_meeting"):
        raise PermissionDenied
    meeting = get_object_or_404(Meeting.objects.prefetch_related("partners"), pk=pk)
    return _ics(calendars.meeting_ics(meeting), f"meeting-{meeting.pk}.ics")


def event_download(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("partners.view_event"):
        raise PermissionDenied
    event = get_object_or_404(Event.objects.select_related("country"), pk=pk)
    return _ics(calendars.event_ics(event), f"event-{event.pk}.ics")


@require_GET
@never_cache
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed: anyone with the address reads it, so no sign-in."""
    user = calendars.feed_user(token)
    if user is None:
        raise Http404
    response = HttpResponse(
        calendars.feed_ics(user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="crm.ics"'
    return response
