"""The report pages, inside the admin, and their downloads.

``reports/urls.py`` mounts these under ``/admin/reports/dashboards/``, each
wrapped in ``admin.site.admin_view`` (staff only, login redirect) and
rendered with ``admin.site.each_context`` so the admin's header, sidebar and
breadcrumbs show. Each report needs the view permission of the records it
counts. Downloads also need the export permission (``crm.export_data``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.models import ExportLog
from crm.roles import EXPORT_PERMISSION
from partners.models import Engagement, FollowUp, Membership
from pledges.models import Pledge
from reports import exports, filters
from reports.figures import (
    activity,
    contributions,
    followups,
    membership,
    mobilization,
    pipeline,
)
from reports.figures.tables import Report
from reports.filters import ReportFilterSet


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: Promise
    description: Promise
    permission: str
    filterset: type[ReportFilterSet]
    queryset: Callable[[HttpRequest], object]
    build: Callable[[HttpRequest, ReportFilterSet], Report]
    # Compares money with the strategy's targets, which filters never narrow.
    shows_targets: bool = False

    def allowed(self, user) -> bool:
        return user.is_active and user.is_staff and user.has_perm(self.permission)

    def url(self) -> str:
        return reverse("reports_dashboard", args=[self.slug])

    def about(self, request: HttpRequest, filterset: ReportFilterSet):
        return exports.about_download(
            filterset, user=request.user, targets=self.shows_targets
        )

    def run(self, request: HttpRequest) -> tuple[ReportFilterSet, Report]:
        filterset = self.filterset(
            request.GET or None, queryset=self.queryset(request), request=request
        )
        return filterset, self.build(request, filterset)


def _lever(filterset: ReportFilterSet):
    return filterset.data_used.get("lever")


REPORTS = [
    ReportSpec(
        slug="mobilization",
        title=_("Mobilization against targets"),
        description=_(
            "Per lever and year: target, received, signed but not received, "
            "weighted pipeline; the year to date against the target."
        ),
        permission="pledges.view_pledge",
        filterset=filters.MobilizationFilter,
        queryset=lambda request: Pledge.objects.all(),
        build=lambda request, fs: mobilization.mobilization_report(
            pledges=fs.qs, period=fs.period, lever=_lever(fs)
        ),
        shows_targets=True,
    ),
    ReportSpec(
        slug="pipeline",
        title=_("Pipeline"),
        description=_(
            "Pledges by stage, open pledges by expected quarter, and what moved "
            "stage in the last 30 days."
        ),
        permission="pledges.view_pledge",
        filterset=filters.PipelineFilter,
        queryset=lambda request: Pledge.objects.all(),
        build=lambda request, fs: pipeline.pipeline_report(
            pledges=fs.qs, period=fs.period
        ),
    ),
    ReportSpec(
        slug="contributions",
        title=_("Contributions"),
        description=_(
            "Money received by year, ITU region, partner category and earmarking; "
            "top partners; first-time and lapsed contributors."
        ),
        permission="pledges.view_pledge",
        filterset=filters.ContributionsFilter,
        queryset=lambda request: Pledge.objects.all(),
        build=lambda request, fs: contributions.contributions_report(
            pledges=fs.qs, period=fs.period
        ),
    ),
    ReportSpec(
        slug="activity",
        title=_("Engagement activity"),
        description=_(
            "Engagements by month, kind, staff member and region; Member States "
            "and high-priority partners not engaged for months."
        ),
        permission="partners.view_engagement",
        filterset=filters.ActivityFilter,
        queryset=lambda request: Engagement.objects.visible_to(request.user),
        build=lambda request, fs: activity.activity_report(
            engagements=fs.qs,
            partners=fs.partners(),
            period=fs.period,
            months=fs.dormant_months,
            user=request.user,
        ),
    ),
    ReportSpec(
        slug="followups",
        title=_("Follow-ups"),
        description=_("Open follow-ups by assignee, overdue first; completion rates."),
        permission="partners.view_followup",
        filterset=filters.FollowUpsFilter,
        queryset=lambda request: FollowUp.objects.visible_to(request.user),
        build=lambda request, fs: followups.followups_report(
            followups=fs.qs, period=fs.period, user=request.user
        ),
    ),
    ReportSpec(
        slug="membership",
        title=_("Membership and dues"),
        description=_(
            "Member States by class of contribution and region; members in "
            "arrears and the consequence."
        ),
        permission="partners.view_membership",
        filterset=filters.MembershipFilter,
        queryset=lambda request: Membership.objects.all(),
        build=lambda request, fs: membership.membership_report(
            memberships=fs.qs, year=fs.period.end.year
        ),
    ),
]
BY_SLUG = {spec.slug: spec for spec in REPORTS}


def reports_for(user) -> list[ReportSpec]:
    return [spec for spec in REPORTS if spec.allowed(user)]


def can_export(user) -> bool:
    return user.has_perm(EXPORT_PERMISSION)


def _spec(request: HttpRequest, slug: str) -> ReportSpec:
    spec = BY_SLUG.get(slug)
    if spec is None:
        raise Http404
    if not spec.allowed(request.user):
        raise PermissionDenied
    return spec


def _context(request: HttpRequest, title, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "reports_url": reverse("reports_index"),
        **extra,
    }


def index(request: HttpRequest) -> TemplateResponse:
    specs = reports_for(request.user)
    if not specs:
        raise PermissionDenied
    return TemplateResponse(
        request,
        "reports/admin/index.html",
        _context(
            request,
            _("Reports"),
            reports=specs,
            statement_url=reverse("reports_statement")
            if request.user.has_perm("pledges.view_pledge")
            else None,
        ),
    )


def report_page(request: HttpRequest, slug: str) -> TemplateResponse:
    spec = _spec(request, slug)
    filterset, report = spec.run(request)
    query = filterset.active_filters()

    def download(fmt: str, **params) -> str:
        url = reverse("reports_download", args=[slug, fmt])
        both = {**query, **params}
        return f"{url}?{urlencode(both)}" if both else url

    tables = [
        (exports.present(table), download("csv", table=table.key))
        for table in report.tables
    ]
    return TemplateResponse(
        request,
        "reports/admin/report.html",
        _context(
            request,
            report.title,
            spec=spec,
            report=report,
            filterset=filterset,
            about=spec.about(request, filterset),
            tables=tables,
            xlsx_url=download("xlsx"),
            pdf_url=download("pdf"),
            reset_url=reverse("reports_dashboard", args=[slug]),
            can_export=can_export(request.user),
        ),
    )


def report_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    spec = _spec(request, slug)
    if not can_export(request.user):
        raise PermissionDenied
    filterset, report = spec.run(request)
    about = spec.about(request, filterset)
    key = request.GET.get("table") or None
    if fmt == "csv":
        try:
            filename, content_type, content = exports.report_csv(
                report, key, about=about
            )
        except KeyError:
            raise Http404 from None
    elif fmt == "xlsx":
        filename, content_type, content = exports.report_xlsx(report, about=about)
    elif fmt == "pdf":
        filename, content_type, content = exports.report_pdf(
            report, user=request.user, about=about
        )
    else:
        raise Http404
    tables = [t for t in report.tables if fmt != "csv" or not key or t.key == key]
    ExportLog.record(
        request=request,
        source=ExportLog.Source.REPORT,
        what=f"{report.title}" + (f" ({key})" if fmt == "csv" and key else ""),
        file_format=fmt,
        rows=sum(len(t.rows) for t in tables),
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
