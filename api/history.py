"""Changes made through the API carry "via API token NAME" in their history.

The user comes from simple-history's request middleware (the token's user,
set by the authentication); the change reason is added here.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords


def change_reason(token) -> str:
    return f"via API token {token.name}"


def name_the_token(sender, history_instance, **kwargs) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    token = getattr(request, "api_token", None)
    if token is not None and not history_instance.history_change_reason:
        history_instance.history_change_reason = change_reason(token)
