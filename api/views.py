"""The "API tokens" page of a user's own account: create, list, revoke.

A new token's key is shown once, on the page the creation leads to; only
its hash is stored.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.services import api_token_create, api_token_revoke

SESSION_NEW_KEY = "api_new_token_key"


@never_cache
def _tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = api_token_create(user=user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            request.session[SESSION_NEW_KEY] = {"id": token.pk, "key": key}
            messages.success(
                request,
                _("Token “%(name)s” created. Copy its key now: it is not shown again.")
                % {"name": token.name},
            )
            return redirect("api_tokens:list")
    new = request.session.pop(SESSION_NEW_KEY, None)
    return render(
        request,
        "api/tokens.html",
        {
            **admin.site.each_context(request),
            "title": _("API tokens"),
            "form": form,
            "tokens": ApiToken.objects.filter(user=user),
            "new_key": new,
        },
    )


@never_cache
@require_POST
def _revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if api_token_revoke(token=token):
        messages.success(
            request,
            _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name},
        )
    return redirect("api_tokens:list")


tokens = admin.site.admin_view(_tokens)
revoke = admin.site.admin_view(_revoke)
