"""The log of digests sent, for administrators."""

from __future__ import annotations

from django.contrib import admin

from outreach.models import DigestSend


@admin.register(DigestSend)
class DigestSendAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "kind",
        "user",
        "recipient",
        "status",
        "attempts",
        "attempted_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "period"]
    search_fields = ["user__username", "user__email", "recipient", "subject"]
    list_select_related = ["user"]
    readonly_fields = [
        "user",
        "kind",
        "period",
        "recipient",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "attempted_at",
        "sent_at",
    ]
    date_hierarchy = "period"

    # A record of what happened: administrators read it, nobody edits it.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
