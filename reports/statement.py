"""The statement of account page and its XLSX and PDF, from ``statement_for``.

``/admin/reports/dashboards/statement/`` shows one partner (``?partner=``) or
every partner; ``?as_of=`` moves the date overdue is judged on; the PDF is a
letter a mission can be sent, in the language chosen on the page. Reading
needs "Can view pledge"; downloads also need the export permission.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.lib import spreadsheets
from crm.lib.names import user_name
from crm.lib.pdf import PDF_CONTENT_TYPE, render_pdf_document
from crm.models import ExportLog
from crm.roles import EXPORT_PERMISSION
from partners.models import Partner
from pledges.models import Pledge
from pledges.statements import Statement, statement_for
from reports.exports import PrintedReport
from reports.filters import date_widget

Document = tuple[str, str, bytes]
PERMISSION = "pledges.view_pledge"


class StatementForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Partner"),
        queryset=Partner.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All partners"),
        # Type to find: the page never lists every partner.
        widget=AutocompleteSelect(
            Pledge._meta.get_field("partner"),
            admin.site,
            attrs={"data-placeholder": gettext_lazy("All partners")},
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                "No partner has the id %(value)s: choose one from the list."
            )
        },
    )
    as_of = forms.DateField(
        label=gettext_lazy("As of"), required=False, widget=date_widget()
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Letter language"),
        choices=settings.LANGUAGES,
        required=False,
    )

    def statement(self) -> Statement:
        data = self.cleaned_data
        return statement_for(partner=data.get("partner"), as_of=data.get("as_of"))

    @property
    def letter_language(self) -> str:
        return self.cleaned_data.get("language") or "en"


def _form(request: HttpRequest) -> StatementForm:
    if not (request.user.is_staff and request.user.has_perm(PERMISSION)):
        raise PermissionDenied
    return StatementForm(request.GET or None)


def statement_url(partner: Partner | None = None) -> str:
    url = reverse("reports_statement")
    return f"{url}?{urlencode({'partner': partner.pk})}" if partner else url


def statement_page(request: HttpRequest) -> TemplateResponse:
    form = _form(request)
    statement = form.statement() if form.is_bound and form.is_valid() else None
    if not form.is_bound:
        form.cleaned_data = {}
        statement = form.statement()
    query = request.GET.urlencode()

    def download(fmt: str) -> str:
        url = reverse("reports_statement_download", args=[fmt])
        return f"{url}?{query}" if query else url

    return TemplateResponse(
        request,
        "reports/admin/statement.html",
        {
            **admin.site.each_context(request),
            "title": _("Statement of account"),
            "reports_url": reverse("reports_index"),
            "form": form,
            "statement": statement,
            "xlsx_url": download("xlsx"),
            "pdf_url": download("pdf"),
            "can_export": request.user.has_perm(EXPORT_PERMISSION),
        },
    )


def statement_download(request: HttpRequest, fmt: str) -> HttpResponse:
    form = _form(request)
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            "\n".join(
                f"{form.fields[name].label}: {message}"
                for name, messages in form.errors.items()
                for message in messages
            ),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if not form.is_bound:
        form.cleaned_data = {}
    statement = form.statement()
    if fmt == "xlsx":
        document = statement_xlsx(statement, user=request.user)
    elif fmt == "pdf":
        document = statement_pdf(
            statement, user=request.user, language=form.letter_language
        )
    else:
        raise Http404
    filename, content_type, content = document
    ExportLog.record(
        request=request,
        source=ExportLog.Source.REPORT,
        what=_("Statement of account")
        + (f" ({statement.partner})" if statement.partner else ""),
        file_format=fmt,
        rows=len(statement.pledges),
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def statement_filename(statement: Statement, extension: str, language: str) -> str:
    who = slugify(statement.partner.name)[:60] if statement.partner else "all-partners"
    return f"statement_{who}_{statement.as_of.isoformat()}_{language}.{extension}"


def statement_xlsx(statement: Statement, *, user=None) -> Document:
    """One sheet: a line per pledge, its installments under it, then totals."""
    language = translation.get_language() or "en"
    header = [
        _("Partner"),
        _("Pledge"),
        _("Reference"),
        _("Stage"),
        _("Due"),
        _("Currency"),
        _("Pledged"),
        _("Received"),
        _("Outstanding"),
        _("Overdue"),
        _("CHF per unit"),
        _("Pledged (CHF)"),
        _("Received (CHF)"),
        _("Outstanding (CHF)"),
        _("Overdue (CHF)"),
    ]
    rows: list[list] = []
    for line in statement.pledges:
        f, c = line.figures, line.chf
        rows.append(
            [
                line.partner,
                line.title,
                line.reference,
                line.stage,
                line.pledged_on,
                f.currency,
                f.pledged,
                f.received,
                f.outstanding,
                f.overdue,
                line.chf_rate,
                c.pledged,
                c.received,
                c.outstanding,
                c.overdue,
            ]
        )
        for inst in line.installments:
            rows.append(
                [
                    line.partner,
                    "  " + _("installment"),
                    "",
                    _("overdue") if inst.is_overdue else "",
                    inst.due_date,
                    f.currency,
                    inst.amount,
                    inst.paid,
                    inst.unpaid,
                    inst.unpaid if inst.is_overdue else None,
                ]
            )
    for totals in statement.by_currency:
        rows.append(
            [
                _("Total"),
                "",
                "",
                "",
                None,
                totals.currency,
                totals.pledged,
                totals.received,
                totals.outstanding,
                totals.overdue,
            ]
        )
    c = statement.chf
    rows.append(
        [
            _("Total in CHF"),
            *["", "", "", None, "CHF"],
            *[None] * 5,
            *[c.pledged, c.received, c.outstanding, c.overdue],
        ]
    )
    money = "#,##0.00"
    sheet = spreadsheets.Sheet(
        title=str(_("Statement of account")),
        header=header,
        rows=rows,
        number_formats=[None, None, None, None, "yyyy-mm-dd", None]
        + [money] * 4
        + ["0.000000"]
        + [money] * 4,
        widths=[30, 36, 16, 14, 12, 9] + [16] * 9,
        bold_last_row=True,
        preamble=statement_description(statement, user=user),
    )
    return (
        statement_filename(statement, "xlsx", language),
        spreadsheets.XLSX_CONTENT_TYPE,
        spreadsheets.xlsx_bytes([sheet]),
    )


def statement_description(statement: Statement, *, user=None) -> list[list[str]]:
    """What the download is: title, partner, date and who produced it."""
    produced = timezone.localtime()
    return [
        [_("Statement of account")],
        [
            _("Partner"),
            statement.partner.name if statement.partner else _("All partners"),
        ],
        [_("As of"), statement.as_of.isoformat()],
        [
            _("Produced"),
            produced.strftime("%Y-%m-%d %H:%M %Z"),
            user_name(user),
        ],
    ]


def statement_pdf(statement: Statement, *, user=None, language: str = "en") -> Document:
    """A letter-style statement in ``language`` (English or French)."""
    with translation.override(language):
        title = _("Statement of account")
        if statement.partner:
            title = f"{title} – {statement.partner.name}"
        pack = PrintedReport(
            title=title,
            language=language,
            generated_at=timezone.localtime(),
            generated_by=user_name(user),
        )
        rendered = render_pdf_document(
            "reports/pdf/statement.html",
            {
                "pack": pack,
                "statement": statement,
                "today": timezone.localdate(),
            },
        )
    return (
        statement_filename(statement, "pdf", language),
        PDF_CONTENT_TYPE,
        rendered.content,
    )
