"""Reference data: countries with their ITU regions, their aliases, exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.lib.currencies import validate_currency
from crm.lib.names import normalize_name


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
        return self.name_en

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
