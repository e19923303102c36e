"""List filters of the partners admin (partners, contacts, engagements, follow-ups)."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.admin import YearListFilter
from crm.lib.names import user_name
from partners.managers import STALE_AFTER
from partners.models import Contact, Engagement, FollowUp, Membership, Partner


class OverdueFollowUpsFilter(admin.SimpleListFilter):
    title = _("overdue follow-ups")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Has overdue follow-ups")),
            ("no", _("No overdue follow-ups")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.with_overdue_followups(request.user)
        if self.value() == "no":
            return queryset.exclude(
                pk__in=Partner.objects.with_overdue_followups(request.user).values("pk")
            )
        return queryset


class LastContactFilter(admin.SimpleListFilter):
    title = _("last contact")
    parameter_name = "contacted"

    def lookups(self, request, model_admin):
        return [
            ("recent", _("In the last six months")),
            ("stale", _("Active, not contacted for six months")),
            ("never", _("Never")),
        ]

    def queryset(self, request, queryset):
        since = timezone.localdate() - STALE_AFTER
        engagements = Engagement.objects.visible_to(request.user).filter(
            partners=OuterRef("pk")
        )
        if self.value() == "recent":
            return queryset.filter(Exists(engagements.filter(date__gte=since)))
        if self.value() == "stale":
            return queryset.not_contacted_since(since, request.user)
        if self.value() == "never":
            return queryset.exclude(Exists(engagements))
        return queryset


class SelectedObjectFilter(admin.SimpleListFilter):
    """A filter that only appears once a link has selected one object.

    The partner and contact pages link to "their" engagements and follow-ups;
    listing every partner in the sidebar would be useless, but the selection
    must show, and be removable, like any other filter.
    """

    model = None

    def lookups(self, request, model_admin):
        value = self.value()
        if not (value and value.isdigit()):
            return []
        obj = self.model._default_manager.filter(pk=value).first()
        return [(value, str(obj))] if obj else []


class PartnerFilter(SelectedObjectFilter):
    title = _("partner")
    parameter_name = "partner"
    model = Partner

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(partners=self.value())


class FollowUpPartnerFilter(PartnerFilter):
    """The partner's follow-ups, including those on its shared engagements."""

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(
            Q(partner=self.value())
            | Q(engagement__in=Engagement.objects.filter(partners=self.value()))
        )


class ContactFilter(SelectedObjectFilter):
    title = _("contact")
    parameter_name = "contact"
    model = Contact

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(contacts=self.value())


class AssigneeFilter(admin.SimpleListFilter):
    """Whose follow-ups: the user's own unless asked otherwise."""

    title = _("assignee")
    parameter_name = "assignee"
    MINE = "mine"
    ANYONE = "all"

    def lookups(self, request, model_admin):
        User = get_user_model()
        assignees = User.objects.filter(
            Exists(
                FollowUp.objects.visible_to(request.user).filter(
                    assignee=OuterRef("pk"), status=FollowUp.Status.OPEN
                )
            )
        ).exclude(pk=request.user.pk)
        return [
            (self.MINE, _("Mine")),
            (self.ANYONE, _("Anyone")),
            *((str(user.pk), user_name(user)) for user in assignees),
        ]

    def value(self):
        return super().value() or self.MINE

    def choices(self, changelist):
        # No "All" entry: without a parameter the filter means "mine".
        choices = super().choices(changelist)
        next(choices)
        yield from choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.MINE:
            return queryset.filter(assignee=request.user)
        if value.isdigit():
            return queryset.filter(assignee_id=value)
        return queryset


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("week", _("In the next 7 days")),
            ("later", _("Later")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "week":
            return queryset.upcoming(days=7)
        if self.value() == "later":
            return queryset.open().filter(due_date__gt=today + dt.timedelta(days=7))
        return queryset


class CurrentAffiliationFilter(admin.SimpleListFilter):
    title = _("current")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("Current")), ("no", _("Ended"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        current = Q(end_date__isnull=True) | Q(end_date__gte=today)
        if self.value() == "yes":
            return queryset.filter(current)
        if self.value() == "no":
            return queryset.exclude(current)
        return queryset


class StartYearListFilter(YearListFilter):
    date_field = "start_date"


class ArrearsConsequenceFilter(admin.SimpleListFilter):
    """Memberships by what their arrears cost them this year."""

    title = _("arrears consequence")
    parameter_name = "consequence"

    def lookups(self, request, model_admin):
        return Membership.ArrearsConsequence.choices

    def queryset(self, request, queryset):
        if self.value() in Membership.ArrearsConsequence.values:
            return queryset.filter(consequence=self.value())
        return queryset
