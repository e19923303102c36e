"""``Authorization: Bearer <key>`` with a personal API token."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from api.models import ApiToken, hash_key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as “Authorization: Bearer <key>”.")
            )
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Unknown API key.")) from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_key(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("The API token “%(name)s” was revoked.") % {"name": token.name}
            )
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                _("The API token “%(name)s” expired on %(date)s.")
                % {"name": token.name, "date": token.expires_at.date().isoformat()}
            )
        token.touch()
        # Read by the history signal (api/history.py): the change reason names
        # the token that made the change.
        request._request.api_token = token
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
