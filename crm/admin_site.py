"""The admin site: its index is the task force's start page."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class CRMAdminSite(admin.AdminSite):
    site_header = _("Partner CRM")
    site_title = _("Partner CRM")
    index_title = _("Start page")
