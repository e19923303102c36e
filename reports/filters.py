"""Filters of the report pages, read from the query string (so a page bookmarks).

Each report has a FilterSet over the model it starts from. The period (a
year, or a date range) filters nothing by itself: each report applies it to
its own date (payments by date received, pledges by their year, engagements
by date, follow-ups by due date), so the FilterSets only expose it as
``period``. Filters through many-to-many relations (tags, an engagement's
partners or staff) use subqueries, so a filtered row is never counted twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from crm.models import Country
from partners.models import Engagement, FollowUp, Membership, Partner, Tag
from pledges.models import Lever, Pledge

FIRST_YEAR, LAST_YEAR = 2000, 2100


def date_widget() -> forms.DateInput:
    # A browser date picker reads and sends ISO dates, whatever the language.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


DEFAULT_DORMANT_MONTHS = 6


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))

    @property
    def is_whole_years(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (
            1,
            1,
            12,
            31,
        )

    def __str__(self) -> str:
        if self.is_whole_years:
            if self.start.year == self.end.year:
                return str(self.start.year)
            return f"{self.start.year}–{self.end.year}"
        return f"{date_format(self.start, 'j M Y')} – {date_format(self.end, 'j M Y')}"


def _users():
    return get_user_model().objects.filter(is_staff=True).order_by("username")


class ReportFilterSet(django_filters.FilterSet):
    """The period fields every report shares; ``period`` reads them.

    A year wins over a date range; a range missing one end runs to the end or
    from the start of the other end's year; nothing at all gives the report's
    default period (``default_period``).
    """

    year = django_filters.NumberFilter(
        label=_("Year"),
        method="keep",
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="keep",
        widget=date_widget(),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        method="keep",
        widget=date_widget(),
    )

    # How many years back the default period starts (0: this year only).
    default_years_back = 0
    # Without a year or dates, report on every date (``period`` is None).
    period_optional = False

    def keep(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset

    @property
    def today(self) -> dt.date:
        return timezone.localdate()

    def default_period(self) -> Period | None:
        if self.period_optional:
            return None
        this_year = self.today.year
        return Period(
            dt.date(this_year - self.default_years_back, 1, 1),
            dt.date(this_year, 12, 31),
        )

    @property
    def data_used(self) -> dict:
        """The valid values only, as ``qs`` filters with them."""
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 (validates the form)
        return self.form.cleaned_data

    def partners(self) -> QuerySet:
        """Partners matching the region, category and tag filters."""
        data = self.data_used
        partners = Partner.objects.all()
        if data.get("region"):
            partners = partners.filter(country__itu_region=data["region"])
        if data.get("category"):
            partners = partners.filter(category=data["category"])
        if data.get("tag"):
            partners = partners.filter(tags=data["tag"])
        return partners

    @property
    def period(self) -> Period | None:
        data = self.data_used
        year = data.get("year")
        start, end = data.get("date_from"), data.get("date_to")
        if year:
            return Period.year(int(year))
        if start and end:
            return Period(min(start, end), max(start, end))
        if start:
            return Period(start, dt.date(start.year, 12, 31))
        if end:
            return Period(dt.date(end.year, 1, 1), end)
        return self.default_period()

    # Filters that narrow the records counted but never the strategy's targets.
    TARGET_BLIND = ("owner", "region", "category", "tag")
    PERIOD_FIELDS = ("year", "date_from", "date_to")

    def described(self) -> list[tuple[str, str]]:
        """The filters in force as (label, value) pairs, the period first.

        The one description of a report's filters: the page, the XLSX and CSV
        header rows, the PDF heading and the file name all read it.
        """
        period = self.period
        pairs = [(str(_("Period")), str(period) if period else str(_("All dates")))]
        data = self.data_used
        for name, field in self.form.fields.items():
            value = data.get(name)
            if name in self.PERIOD_FIELDS or value in (None, ""):
                continue
            if isinstance(field, forms.ModelChoiceField):
                shown = value  # the record itself, no query for the choices
            else:
                shown = dict(getattr(field, "choices", ())).get(value, value)
            pairs.append((str(field.label), str(shown)))
        return pairs

    def targets_not_narrowed_by(self) -> list[str]:
        """Labels of the filters in force that leave the targets global."""
        data = self.data_used
        return [
            str(self.form.fields[name].label)
            for name in self.TARGET_BLIND
            if name in self.form.fields and data.get(name) not in (None, "")
        ]

    def filename_parts(self) -> list[str]:
        """The period and the filter values, short, for a download's name."""
        period = self.period
        if period is None:
            parts = ["all-dates"]
        elif period.is_whole_years:
            parts = [str(period).replace("–", "-")]
        else:
            parts = [f"{period.start.isoformat()}-{period.end.isoformat()}"]
        values = [slugify(value)[:30] for _label, value in self.described()[1:]]
        if values:
            parts.append("-".join(v for v in values if v))
        return parts

    def active_filters(self) -> dict[str, str]:
        """Query-string parameters that are set, to carry into download links."""
        if not self.is_bound:
            return {}
        return {
            name: value
            for name in self.filters
            if (value := self.data.get(name, "")) not in ("", None)
        }


def _partner_filters(path: str, *, many: bool = False):
    """Region, partner category and tag filters for partners reached by ``path``.

    With ``many`` the path crosses a many-to-many relation: filter with
    ``Exists`` so that a row with two matching partners is kept once.
    """

    def method(lookup: str):
        def apply(queryset: QuerySet, name: str, value) -> QuerySet:
            if value in (None, ""):
                return queryset
            if many:
                through = Partner.objects.filter(
                    **{lookup: value, f"{_reverse_of(queryset.model)}": OuterRef("pk")}
                )
                return queryset.filter(Exists(through))
            return queryset.filter(**{f"{path}__{lookup}": value})

        return apply

    return {
        "region": django_filters.ChoiceFilter(
            label=_("ITU region"),
            choices=Country.Region.choices,
            method=method("country__itu_region"),
        ),
        "category": django_filters.ChoiceFilter(
            label=_("Partner category"),
            choices=Partner.Category.choices,
            method=method("category"),
        ),
        "tag": django_filters.ModelChoiceFilter(
            label=_("Tag"),
            queryset=Tag.objects.all(),
            method=_tag_method(path, many=many),
        ),
    }


def _reverse_of(model) -> str:
    # Partner's reverse names of the many-to-many relations reports filter on.
    return {Engagement: "engagements"}[model]


def _tag_method(path: str, *, many: bool):
    def apply(queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        tagged = Partner.objects.filter(tags=value)
        if many:
            tagged = tagged.filter(**{_reverse_of(queryset.model): OuterRef("pk")})
        else:
            tagged = tagged.filter(pk=OuterRef(f"{path}_id"))
        return queryset.filter(Exists(tagged))

    return apply


def _filterset(name: str, base: type, model, fields: dict, **attrs) -> type:
    meta = type("Meta", (), {"model": model, "fields": []})
    return type(name, (base,), {**fields, "Meta": meta, **attrs})


def _lever():
    return django_filters.ModelChoiceFilter(
        label=_("Lever"), field_name="lever", queryset=Lever.objects.all()
    )


def _pledge_owner():
    return django_filters.ModelChoiceFilter(
        label=_("Owner"), field_name="owner", queryset=_users()
    )


MobilizationFilter = _filterset(
    "MobilizationFilter",
    ReportFilterSet,
    Pledge,
    {"lever": _lever(), "owner": _pledge_owner(), **_partner_filters("partner")},
)
MobilizationFilter.__doc__ = "Pledges (and their payments) counted against targets."

PipelineFilter = _filterset(
    "PipelineFilter",
    ReportFilterSet,
    Pledge,
    {
        "lever": _lever(),
        "stage": django_filters.ChoiceFilter(
            label=_("Stage"), field_name="stage", choices=Pledge.Stage.choices
        ),
        "owner": _pledge_owner(),
        **_partner_filters("partner"),
    },
    period_optional=True,
)
PipelineFilter.__doc__ = "Pledges of the pipeline; without a period, every pledge."

ContributionsFilter = _filterset(
    "ContributionsFilter",
    ReportFilterSet,
    Pledge,
    {
        "lever": _lever(),
        "owner": _pledge_owner(),
        **_partner_filters("partner"),
    },
    default_years_back=4,
)
ContributionsFilter.__doc__ = "Pledges whose payments count as contributions."


class ActivityFilterBase(ReportFilterSet):
    months = django_filters.NumberFilter(
        label=_("No engagement for (months)"),
        method="keep",
        min_value=1,
        max_value=120,
    )

    @property
    def dormant_months(self) -> int:
        return int(self.data_used.get("months") or DEFAULT_DORMANT_MONTHS)


ActivityFilter = _filterset(
    "ActivityFilter",
    ActivityFilterBase,
    Engagement,
    {
        "kind": django_filters.ChoiceFilter(
            label=_("Kind"), field_name="kind", choices=Engagement.Kind.choices
        ),
        "staff": django_filters.ModelChoiceFilter(
            label=_("Staff member"), queryset=_users(), method="filter_staff"
        ),
        **_partner_filters("partners", many=True),
    },
    filter_staff=lambda self, queryset, name, value: (
        queryset
        if value is None
        else queryset.filter(
            Exists(
                Engagement.staff.through.objects.filter(
                    engagement=OuterRef("pk"), user=value
                )
            )
        )
    ),
)
ActivityFilter.__doc__ = "Engagements; the partner filters keep those with a match."

FollowUpsFilter = _filterset(
    "FollowUpsFilter",
    ReportFilterSet,
    FollowUp,
    {
        "assignee": django_filters.ModelChoiceFilter(
            label=_("Assignee"), field_name="assignee", queryset=_users()
        ),
        **_partner_filters("partner"),
    },
)
FollowUpsFilter.__doc__ = "Follow-ups; the period picks those due in it."

MembershipFilter = _filterset(
    "MembershipFilter",
    ReportFilterSet,
    Membership,
    {
        "type": django_filters.ChoiceFilter(
            label=_("Membership"), field_name="type", choices=Membership.Type.choices
        ),
        "sector": django_filters.ChoiceFilter(
            label=_("Sector"), field_name="sector", choices=Membership.Sector.choices
        ),
        "owner": django_filters.ModelChoiceFilter(
            label=_("Relationship owner"),
            field_name="partner__owner",
            queryset=_users(),
        ),
        **_partner_filters("partner"),
        # Memberships are counted as they stand today: only the year (for
        # the dues and the arrears rules) makes sense here.
        "date_from": None,
        "date_to": None,
    },
)
MembershipFilter.__doc__ = "Memberships; the year sets the dues and arrears rules."
