"""Admin for levers, targets, pledges, installments, payments and reductions.

Also replaces the partner admin with a subclass that adds the pledge roll-ups
to the partner list and a "Pledges and payments" panel to the partner page,
and adds a resource-mobilization panel to the start page.
"""

from __future__ import annotations

from django.contrib import admin

from pledges import dashboard
from pledges.admin import search
from pledges.admin.lever import LeverAdmin, TargetAdmin
from pledges.admin.partner import PartnerAdmin
from pledges.admin.payment import InstallmentAdmin, PaymentAdmin, PledgeReductionAdmin
from pledges.admin.pledge import PledgeAdmin

__all__ = [
    "InstallmentAdmin",
    "LeverAdmin",
    "PartnerAdmin",
    "PaymentAdmin",
    "PledgeAdmin",
    "PledgeReductionAdmin",
    "TargetAdmin",
]

admin.site.register_start_page_panels(dashboard.start_page_panels, order=20)
admin.site.register_search_group(search.pledges, order=40)
