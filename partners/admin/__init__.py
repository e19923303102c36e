"""Admin for partners, memberships, contacts, events, engagements and follow-ups.

``PartnerAdmin`` is meant to be subclassed: another app may unregister it,
register a subclass, and extend ``get_panels()`` (the sections under the
partner form), ``list_display`` or ``list_filter``.
"""

from __future__ import annotations

from django.contrib import admin

from partners import dashboard
from partners.admin import search
from partners.admin.contact import AffiliationAdmin, ContactAdmin
from partners.admin.engagement import EngagementAdmin, EventAdmin, FollowUpAdmin
from partners.admin.membership import MembershipAdmin, TagAdmin, UnitValueAdmin
from partners.admin.partner import PartnerAdmin

__all__ = [
    "AffiliationAdmin",
    "ContactAdmin",
    "EngagementAdmin",
    "EventAdmin",
    "FollowUpAdmin",
    "MembershipAdmin",
    "PartnerAdmin",
    "TagAdmin",
    "UnitValueAdmin",
]

admin.site.register_start_page_panels(dashboard.start_page_panels, order=10)
admin.site.register_start_page_panels(dashboard.arrears_panel, order=15)

admin.site.register_search_group(search.partners, order=10)
admin.site.register_search_group(search.contacts, order=20)
admin.site.register_search_group(search.engagements, order=30)
admin.site.register_search_group(search.events, order=50)
