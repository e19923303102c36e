"""Reference data: countries with their ITU regions, their aliases, exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.lib.currencies import validate_currency
from crm.lib.names import localized_name, normalize_name


class LoadedValuesMixin:
    """Remembers what ``loaded_fields`` held when last read or saved.

    ``clean()`` and the services compare a field's new value with
    ``loaded(name)`` to tell what a change moves (a payment moved to another
    pledge, a stage reached for the first time). Code that saves in bulk,
    without ``save()``, calls ``remember_loaded()`` afterwards.
    """

    loaded_fields: ClassVar[tuple[str, ...]] = ()

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self.remember_loaded()

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance.remember_loaded()
        return instance

    def remember_loaded(self) -> None:
        self._loaded = {name: self.__dict__.get(name) for name in self.loaded_fields}

    def loaded(self, name: str):
        """The value ``name`` had when read from the database (None if new)."""
        return getattr(self, "_loaded", {}).get(name)


def import_batch_field() -> models.ForeignKey:
    """The batch that created or last changed a record (None when typed in)."""
    return models.ForeignKey(
        "crm.ImportBatch",
        verbose_name=_("import batch"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )


class CountryQuerySet(models.QuerySet):
    def member_states(self) -> CountryQuerySet:
        return self.filter(is_itu_member_state=True)

    def find(self, text: str) -> Country | None:
        """The country named ``text`` by ISO code, M49 code, name or any alias."""
        text = (text or "").strip()
        if not text:
            return None
        upper = text.upper()
        if len(upper) == 3 and upper.isalpha():
            found = self.filter(iso3=upper).first()
            if found:
                return found
        if len(upper) == 2 and upper.isalpha():
            found = self.filter(iso2=upper).first()
            if found:
                return found
        if text.isdigit():
            return self.filter(m49=int(text)).first()
        key = normalize_name(text)
        return self.filter(aliases__normalized=key).first()


class Country(models.Model):
    class Region(models.TextChoices):
        AFR = "AFR", _("Africa")
        AMS = "AMS", _("Americas")
        ARB = "ARB", _("Arab States")
        ASP = "ASP", _("Asia and the Pacific")
        CIS = "CIS", _("Commonwealth of Independent States")
        EUR = "EUR", _("Europe")

    class Income(models.TextChoices):
        LOW = "Low", _("Low income")
        LOWER_MIDDLE = "Lower middle", _("Lower-middle income")
        UPPER_MIDDLE = "Upper middle", _("Upper-middle income")
        HIGH = "High", _("High income")
        UNCLASSIFIED = "", _("Not classified")

    iso3 = models.CharField(_("ISO alpha-3"), max_length=3, unique=True)
    iso2 = models.CharField(_("ISO alpha-2"), max_length=2, unique=True)
    m49 = models.PositiveSmallIntegerField(_("UN M49 code"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_fr = models.CharField(_("name (French)"), max_length=100)
    name_es = models.CharField(_("name (Spanish)"), max_length=100, blank=True)
    formal_name = models.CharField(_("formal name"), max_length=200, blank=True)
    itu_name = models.CharField(
        _("ITU spelling"),
        max_length=100,
        help_text=_('As ITU writes it: "Korea (Rep. of)".'),
    )
    itu_region = models.CharField(
        _("ITU region"), max_length=3, choices=Region.choices, db_index=True
    )
    itu_region_inferred = models.BooleanField(
        _("ITU region inferred"),
        default=False,
        help_text=_("The region was assigned by rule, not read from an ITU table."),
    )
    m49_region = models.CharField(_("M49 region"), max_length=40, blank=True)
    m49_subregion = models.CharField(_("M49 sub-region"), max_length=60, blank=True)
    income_group = models.CharField(
        _("income group"), max_length=20, choices=Income.choices, blank=True
    )
    is_itu_member_state = models.BooleanField(_("ITU Member State"), default=False)
    is_observer = models.BooleanField(_("observer"), default=False)
    is_un_member = models.BooleanField(_("UN member"), default=False)
    is_ldc = models.BooleanField(
        _("least developed country"),
        default=False,
        help_text=_("Editable: the UN list changes as countries graduate."),
    )

    objects = CountryQuerySet.as_manager()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (French or English)."""
        return localized_name(self.name_en, self.name_fr)

    @property
    def is_developing(self) -> bool:
        """Developing for ITU fee purposes: anything below the high-income group."""
        return self.income_group != self.Income.HIGH


class CountryAlias(models.Model):
    class Kind(models.TextChoices):
        ITU = "itu", _("ITU")
        UN = "un", _("UN")
        ISO = "iso", _("ISO")
        FRENCH = "fr", _("French")
        SPANISH = "es", _("Spanish")
        FORMAL = "formal", _("Formal")
        COMMON = "common", _("Common")

    country = models.ForeignKey(
        Country, on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("spelling"), max_length=200)
    normalized = models.CharField(
        _("normalised"), max_length=200, unique=True, editable=False
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.COMMON
    )

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("country alias")
        verbose_name_plural = _("country aliases")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.normalized = normalize_name(self.name)
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None) -> None:
        # ``normalized`` is not a form field, but two spellings that normalise
        # alike are the same alias: check it whatever the form excludes.
        self.normalized = normalize_name(self.name)
        super().validate_unique(exclude=set(exclude or ()) - {"normalized"})


class ExchangeRate(models.Model):
    currency = models.CharField(
        _("currency"), max_length=3, validators=[validate_currency]
    )
    effective_date = models.DateField(_("effective date"))
    units_per_usd = models.DecimalField(
        _("units per USD"),
        max_digits=24,
        decimal_places=10,
        validators=[MinValueValidator(Decimal("0.0000000001"))],
    )
    source = models.CharField(
        _("source"), max_length=100, blank=True, default="UN operational rate"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    import_batch = import_batch_field()

    class Meta:
        ordering = ["currency", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "effective_date"],
                name="unique_rate_per_currency_date",
            ),
            models.CheckConstraint(
                condition=models.Q(units_per_usd__gt=0), name="rate_positive"
            ),
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return f"{self.currency} {self.units_per_usd} / USD ({self.effective_date})"

    def clean_fields(self, exclude=None) -> None:
        # Upper-case before the code list validator sees "eur".
        self.currency = (self.currency or "").strip().upper()
        super().clean_fields(exclude=exclude)

    @classmethod
    def latest_dates(cls) -> dict[str, dt.date]:
        return dict(
            cls.objects.values("currency")
            .annotate(latest=models.Max("effective_date"))
            .values_list("currency", "latest")
        )


class ImportBatch(models.Model):
    """One file imported (or previewed): who, when, what, and what came of it."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed, not imported")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed, nothing imported")
        UNDONE = "undone", _("Undone")

    resource = models.CharField(_("imported as"), max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file = models.FileField(_("uploaded file"), upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    checksum = models.CharField(
        _("SHA-256"), max_length=64, db_index=True, help_text=_("Of the file's bytes.")
    )
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    dry_run = models.BooleanField(_("preview only"), default=False)
    background = models.BooleanField(
        _("in the background"),
        default=False,
        help_text=_("Previewed and imported by a background worker (large files)."),
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    rows_new = models.PositiveIntegerField(_("new"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rows_error = models.PositiveIntegerField(_("errors"), default=0)
    unknown_columns = models.JSONField(_("unknown columns"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    report = models.FileField(
        _("error report"), upload_to="imports/reports/", blank=True
    )
    # What the preview page shows (``crm.imports.engine.Preview``): counts and
    # the first rows, never the whole file. Emptied once the file is imported.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        # Import and export are granted apart from add/change/view: a Viewer
        # reads every list but takes no data out; a role may edit records by
        # hand without loading spreadsheets.
        permissions = [
            ("import_data", _("Can import data from files")),
            ("export_data", _("Can export data (lists and report downloads)")),
            ("undo_import", _("Can undo imports")),
        ]

    def __str__(self) -> str:
        # The page's other moments are local time: so is the title's.
        started = timezone.localtime(self.created_at) if self.created_at else None
        return f"{self.file_name} ({self.resource_label}, {started:%Y-%m-%d %H:%M})"

    @property
    def resource_label(self) -> str:
        """What the file was imported as, in the reader's language."""
        from crm.imports.registry import get_importer

        try:
            return str(get_importer(self.resource).label)
        except LookupError:
            return self.resource

    def option_lines(self) -> list[tuple[str, str]]:
        """The options the file was imported with, as (label, value) to read.

        Options the CRM does not know (an older version's) are shown as
        stored rather than hidden.
        """
        from crm.lib.formats import format_number

        yes, no = gettext("yes"), gettext("no")
        labels = {
            "sheet": gettext("Sheet"),
            "format": gettext("File format"),
            "dayfirst": gettext("Dates"),
            "create_partners": gettext("Create unmatched partners"),
            "valid_rows_only": gettext("Import the valid rows only"),
            "dry_run": gettext("Preview only"),
            "partner_choices": gettext("Confirmed spellings"),
            "lever": gettext("Lever"),
        }
        lines = []
        for key, value in (self.options or {}).items():
            if value in (None, "", {}, []):
                continue
            label = labels.get(key, key.replace("_", " ").capitalize())
            if key == "dayfirst":
                text = (
                    gettext("day first (31.03.2024)")
                    if value
                    else gettext("month first (03/31/2024)")
                )
            elif key == "partner_choices" and isinstance(value, dict):
                from partners.models import Partner

                names = dict(
                    Partner.objects.filter(
                        pk__in=[v for v in value.values() if str(v).isdigit()]
                    ).values_list("pk", "name")
                )
                text = "; ".join(
                    f"{spelling} → {names.get(int(pk), pk)}"
                    for spelling, pk in value.items()
                )
            elif key == "lever":
                from pledges.models import Lever

                match = models.Q(code=str(value))
                if str(value).isdigit():
                    match |= models.Q(pk=int(value))
                lever = Lever.objects.filter(match).first()
                text = str(lever) if lever else str(value)
            elif isinstance(value, bool):
                text = yes if value else no
            elif isinstance(value, int):
                text = format_number(value)
            else:
                text = str(value)
            lines.append((label, text))
        return lines

    def shows_content_to(self, user) -> bool:
        """Whether ``user`` may read what the file holds, not just its counts.

        Title rows, repaired cell text, unknown headers, previews and the error
        report repeat the uploaded file, which may hold what the user may not
        see elsewhere (a confidential engagement's summary): its uploader,
        superusers and Administrators read them; everyone else sees counts.
        """
        from crm.roles import ADMINISTRATOR

        if user.is_superuser or (self.user_id and self.user_id == user.pk):
            return True
        return user.groups.filter(name=ADMINISTRATOR).exists()

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ExportLog(models.Model):
    """Who took which data out, when, in what format, and how many rows."""

    class Source(models.TextChoices):
        LIST = "list", _("Admin list (Export)")
        REPORT = "report", _("Report download")

    exported_at = models.DateTimeField(_("exported at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="export_logs",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    what = models.CharField(_("what"), max_length=200)
    file_format = models.CharField(_("format"), max_length=10)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    query = models.CharField(_("filters"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-exported_at"]
        verbose_name = _("export")
        verbose_name_plural = _("export log")

    def __str__(self) -> str:
        return f"{self.what} ({self.file_format}, {self.rows})"

    @classmethod
    def record(cls, *, request, source: str, what: str, file_format: str, rows: int):
        return cls.objects.create(
            user=request.user if request.user.is_authenticated else None,
            source=source,
            what=str(what)[:200],
            file_format=file_format[:10],
            rows=rows,
            query=request.META.get("QUERY_STRING", "")[:1000],
        )


class WorkerHeartbeat(models.Model):
    """A background worker's last sign of life, shown on ``/health/``."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    hostname = models.CharField(_("host"), max_length=100, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname}"


# Pages a saved view may point at: the admin's lists and the report pages.
SAVED_VIEW_PAGES = ("reports_dashboard", "reports_statement", "reports_index")


class SavedView(models.Model):
    """A list or report page with its filters, saved by a user under a name.

    Stores the page's path and its query string, never a full URL: ``clean``
    accepts only a path of this site that resolves to an admin list or a
    report page, so a saved view can never send anyone elsewhere.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_views",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(
        _("page"),
        max_length=200,
        help_text=_(
            "The address of the list or report, e.g. /admin/partners/partner/."
        ),
    )
    query = models.TextField(
        _("filters"),
        blank=True,
        max_length=2000,
        help_text=_(
            "The query string of the page, e.g. region=EUR&category=government."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="unique_saved_view_name_per_user",
                violation_error_message=_(
                    "You already have a saved view of that name."
                ),
            )
        ]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def clean(self) -> None:
        from django.core.exceptions import ValidationError
        from django.http import QueryDict
        from django.urls import Resolver404, resolve

        errors = {}
        path = (self.path or "").strip()
        bad_path = ValidationError(
            _(
                "%(value)r is not a list or report page of this site: give a path "
                "such as /admin/partners/partner/."
            ),
            code="bad_path",
            params={"value": self.path},
        )
        # A path of this site only: no scheme, host, query, fragment or spaces.
        local = path.startswith("/") and not path.startswith("//")
        if not local or any(c in path for c in "\\?#: ") or not path.isprintable():
            errors["path"] = bad_path
        else:
            try:
                match = resolve(path)
            except Resolver404:
                errors["path"] = bad_path
            else:
                name = match.url_name or ""
                if not (
                    (match.namespace == "admin" and name.endswith("_changelist"))
                    or (not match.namespace and name in SAVED_VIEW_PAGES)
                ):
                    errors["path"] = bad_path
        query = (self.query or "").strip().lstrip("?")
        if any(ord(c) < 32 for c in query) or "#" in query:
            errors["query"] = ValidationError(
                _("%(value)r is not a query string."),
                code="bad_query",
                params={"value": self.query},
            )
        if errors:
            raise ValidationError(errors)
        self.path = path
        # Re-encoded: what is stored is exactly what the page will read.
        self.query = QueryDict(query).urlencode()
