"""Partners, their ITU memberships, contacts, events and the engagement log."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.lib.formats import format_money
from crm.lib.names import language_names, localized_name
from crm.models import Country, import_batch_field
from partners.managers import (
    ContactQuerySet,
    EngagementQuerySet,
    FollowUpQuerySet,
    MembershipQuerySet,
    PartnerQuerySet,
)

# Classes of contribution (ITU Constitution art. 28, Convention art. 33).
MEMBER_STATE_CLASSES = tuple(
    Decimal(c)
    for c in (
        [
            "40",
            "35",
            "30",
            "28",
            "25",
            "23",
            "20",
            "18",
            "15",
            "13",
            "10",
            "8",
            "5",
            "4",
            "3",
            "2",
            "1.5",
            "1",
            "0.5",
            "0.25",
            "0.125",
            "0.0625",
        ]
    )
)
LDC_ONLY_CLASSES = (Decimal("0.125"), Decimal("0.0625"))
SECTOR_MEMBER_MINIMUM = Decimal("0.5")
ITU_D_REDUCED_CLASSES = (Decimal("0.25"), Decimal("0.125"), Decimal("0.0625"))
ASSOCIATE_CLASSES_RT = (Decimal("0.25"),)
ASSOCIATE_CLASSES_D = (Decimal("0.0625"), Decimal("0.03125"))
ACADEMIA_CLASSES = (Decimal("0.0625"), Decimal("0.03125"))
SECTOR_MEMBER_UNIT_SHARE = Decimal("0.2")  # a Sector Member unit is 1/5 of the MS unit

_VULGAR = {
    Fraction(1, 2): "½",
    Fraction(1, 4): "¼",
    Fraction(1, 8): "⅛",
    Fraction(3, 2): "1½",
}


def format_class(value: Decimal | None) -> str:
    """Show a contribution class the way ITU writes it: 40, 1½, ½, 1/16."""
    if value is None:
        return ""
    fraction = Fraction(value)
    if fraction.denominator == 1:
        return str(fraction.numerator)
    if fraction.denominator & (fraction.denominator - 1):
        # Not a halving of the unit: no such class exists, show what was typed.
        return format(Decimal(value).normalize(), "f")
    return _VULGAR.get(fraction, f"{fraction.numerator}/{fraction.denominator}")


def period_error(start, end, message: str) -> str | None:
    """``message`` filled with both dates when ``end`` comes before ``start``."""
    if start and end and end < start:
        return message % {"end": end, "start": start}
    return None


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    class Category(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        GOVERNMENT_AGENCY = "government_agency", _("Government agency")
        IGO = "igo", _("Intergovernmental organisation")
        UN_ENTITY = "un_entity", _("UN entity")
        DEVELOPMENT_BANK = "development_bank", _("Development bank")
        PRIVATE_SECTOR = "private_sector", _("Private sector")
        FOUNDATION = "foundation", _("Foundation")
        ACADEMIA = "academia", _("Academia")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        OTHER = "other", _("Other")

    # IATI OrganisationType codes, the classification donor data already uses.
    IATI_TYPE = {
        Category.GOVERNMENT: "10",
        Category.GOVERNMENT_AGENCY: "15",
        Category.IGO: "40",
        Category.UN_ENTITY: "40",
        Category.DEVELOPMENT_BANK: "40",
        Category.PRIVATE_SECTOR: "70",
        Category.FOUNDATION: "60",
        Category.ACADEMIA: "80",
        Category.CIVIL_SOCIETY: "21",
        Category.OTHER: "90",
    }

    class Priority(models.IntegerChoices):
        HIGH = 1, _("High")
        MEDIUM = 2, _("Medium")
        LOW = 3, _("Low")

    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    short_name = models.CharField(
        _("short name or acronym"), max_length=50, blank=True, db_index=True
    )
    code = models.SlugField(
        _("partner code"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("A stable code used by imports and other systems, e.g. GOV-CHE."),
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, db_index=True
    )
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        help_text=_(
            "For a Member State, the state itself; otherwise the headquarters."
        ),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    website = models.URLField(_("website"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_partners",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.MEDIUM
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    import_batch = import_batch_field()

    objects = PartnerQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country"],
                condition=models.Q(category="government"),
                name="one_government_per_country",
                violation_error_message=_(
                    "This country already has its government partner."
                ),
            ),
        ]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        name = self.display_name
        if self.short_name and self.short_name != name:
            return f"{name} ({self.short_name})"
        return name

    def get_absolute_url(self) -> str:
        """The partner page people open: the overview, read only."""
        return self.get_overview_url()

    def get_overview_url(self) -> str:
        return reverse("admin:partners_partner_overview", args=[self.pk])

    @property
    def display_name(self) -> str:
        """The name in the reader's language: French for a French reader, if any."""
        return localized_name(self.name, self.name_fr)

    def delete(self, *args, **kwargs):
        self.check_deletable()
        return super().delete(*args, **kwargs)

    def check_deletable(self) -> None:
        """Raise ProtectedError if deleting would lose engagement history.

        Engagements link through a many-to-many table that Django would clear
        silently; memberships and follow-ups are protected by their keys.
        """
        engagements = list(self.engagements.all()[:20])
        if engagements:
            raise ProtectedError(
                _(
                    "Cannot delete %(partner)s: engagements are logged with it. "
                    "Mark the partner inactive instead."
                )
                % {"partner": self},
                set(engagements),
            )

    @property
    def iati_organisation_type(self) -> str:
        return self.IATI_TYPE[self.Category(self.category)]

    @property
    def is_member_state(self) -> bool:
        return (
            self.category == self.Category.GOVERNMENT
            and self.country is not None
            and self.country.is_itu_member_state
        )

    def clean(self) -> None:
        if self.category == self.Category.GOVERNMENT and self.country_id is None:
            raise ValidationError(
                {"country": _("A government partner needs its country.")}
            )
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A partner cannot be its own parent.")})


class UnitValue(models.Model):
    """The Member State contributory unit in CHF for a year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    member_state_unit_chf = models.DecimalField(
        _("Member State unit (CHF)"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = _("contributory unit")
        verbose_name_plural = _("contributory units")

    def __str__(self) -> str:
        return f"{self.year}: {format_money(self.member_state_unit_chf)}"

    @property
    def sector_member_unit_chf(self) -> Decimal:
        return self.member_state_unit_chf * SECTOR_MEMBER_UNIT_SHARE

    @classmethod
    def for_year(cls, year: int) -> Decimal:
        """The Member State unit in force in ``year`` (latest year on or before it)."""
        return cls.for_years([year])[year]

    @classmethod
    def for_years(cls, years: Iterable[int]) -> dict[int, Decimal]:
        """The unit in force in each of ``years``, in one query.

        A year before the first recorded one takes the configured
        ``ITU_CONTRIBUTORY_UNIT_CHF``.
        """
        years = list(years)
        known = list(
            cls.objects.filter(year__lte=max(years))
            .order_by("-year")
            .values_list("year", "member_state_unit_chf")
        )
        default = Decimal(settings.ITU_CONTRIBUTORY_UNIT_CHF)
        return {
            wanted: next((v for y, v in known if y <= wanted), default)
            for wanted in years
        }


class Membership(models.Model):
    class Type(models.TextChoices):
        MEMBER_STATE = "member_state", _("Member State")
        SECTOR_MEMBER = "sector_member", _("Sector Member")
        ASSOCIATE = "associate", _("Associate")
        ACADEMIA = "academia", _("Academia")

    class Sector(models.TextChoices):
        R = "ITU-R", _("ITU-R (Radiocommunication)")
        T = "ITU-T", _("ITU-T (Standardization)")
        D = "ITU-D", _("ITU-D (Development)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        EXCLUDED = "excluded", _("Excluded")
        ENDED = "ended", _("Ended")

    class ArrearsConsequence(models.TextChoices):
        """What a membership's arrears cost it; see ``arrears_consequence()``."""

        VOTE_LOST = "vote_lost", _("Vote lost")
        SUSPENDED = "suspended", _("Suspended")
        LIABLE_TO_SUSPENSION = "liable", _("Liable to suspension")
        NONE = "none", _("None")

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    type = models.CharField(
        _("type"), max_length=20, choices=Type.choices, db_index=True
    )
    sector = models.CharField(
        _("sector"), max_length=5, choices=Sector.choices, blank=True, db_index=True
    )
    contribution_class = models.DecimalField(
        _("class of contribution"),
        max_digits=9,
        decimal_places=5,
        help_text=_("Exact class: 1.5 for 1½, 0.0625 for 1/16."),
    )
    reduced_class_approved = models.BooleanField(
        _("reduced class approved by Council"),
        default=False,
        help_text=_("Allows the ⅛ and 1/16 classes for a state that is not an LDC."),
    )
    start_date = models.DateField(_("member since"), null=True, blank=True)
    end_date = models.DateField(_("ended on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    arrears_chf = models.DecimalField(
        _("arrears (CHF)"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    arrears_as_of = models.DateField(_("arrears as of"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["partner__name", "type", "sector"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        label = self.get_type_display()
        if self.sector:
            label = f"{label} {self.sector}"
        return _("%(membership)s, class %(class)s") % {
            "membership": label,
            "class": format_class(self.contribution_class),
        }

    @property
    def class_display(self) -> str:
        return format_class(self.contribution_class)

    def unit_chf(
        self, year: int, *, member_state_unit: Decimal | None = None
    ) -> Decimal:
        """The unit this membership pays in ``year``.

        Pass ``member_state_unit`` when it is already known (a list computes it
        once for every row).
        """
        unit = (
            member_state_unit
            if member_state_unit is not None
            else (UnitValue.for_year(year))
        )
        if self.type == self.Type.MEMBER_STATE:
            return unit
        return unit * SECTOR_MEMBER_UNIT_SHARE

    def annual_dues_chf(
        self, year: int | None = None, *, member_state_unit: Decimal | None = None
    ) -> Decimal:
        """Class x unit for the year, in CHF to the centime."""
        year = year or timezone.localdate().year
        unit = self.unit_chf(year, member_state_unit=member_state_unit)
        return (self.contribution_class * unit).quantize(Decimal("0.01"))

    def arrears_consequence(self, year: int | None = None) -> ArrearsConsequence:
        """What this membership's arrears cost it in ``year`` (default: this year).

        The rule is ``MembershipQuerySet.with_arrears_consequence()``; a row
        loaded through it answers without a query (for the year it was loaded
        with), any other saved row asks the database the same question.
        """
        if year is None and hasattr(self, "consequence"):
            return self.ArrearsConsequence(self.consequence)
        value = (
            type(self)
            .objects.filter(pk=self.pk)
            .with_arrears_consequence(year)
            .values_list("consequence", flat=True)
            .get()
        )
        return self.ArrearsConsequence(value)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        error = period_error(
            self.start_date,
            self.end_date,
            _("The membership ends (%(end)s) before it starts (%(start)s)."),
        )
        if error:
            errors["end_date"] = error
        if self.type == self.Type.MEMBER_STATE and self.sector:
            errors["sector"] = _("A Member State belongs to no single sector.")
        if (
            self.type in (self.Type.SECTOR_MEMBER, self.Type.ASSOCIATE)
            and not self.sector
        ):
            errors["sector"] = _("Choose the sector of this %(type)s.") % {
                "type": self.get_type_display()
            }
        if self.contribution_class is not None and "sector" not in errors:
            message = self._class_error()
            if message:
                errors["contribution_class"] = message
        if errors:
            raise ValidationError(errors)

    def _class_error(self) -> str | None:
        value = Decimal(self.contribution_class).normalize()
        shown = format_class(value)
        country = self.partner.country if self.partner_id else None
        if value <= 0:
            return _("Class %(value)s is not a class of contribution.") % {
                "value": shown
            }
        if self.type == self.Type.MEMBER_STATE:
            if value > 40:
                return (
                    None
                    if value == value.to_integral_value()
                    else _("A class above 40 must be a whole number, not %(value)s.")
                    % {"value": shown}
                )
            if value not in MEMBER_STATE_CLASSES:
                return _(
                    "Class %(value)s is not a class of contribution; "
                    "allowed: %(allowed)s."
                ) % {"value": shown, "allowed": _allowed(MEMBER_STATE_CLASSES)}
            if value in LDC_ONLY_CLASSES and not (
                self.reduced_class_approved or (country and country.is_ldc)
            ):
                return _(
                    "Class %(value)s is reserved for least developed countries and "
                    "states designated by the Council."
                ) % {"value": shown}
            return None
        if self.type == self.Type.SECTOR_MEMBER:
            reduced = self.sector == self.Sector.D and value in ITU_D_REDUCED_CLASSES
            if value < SECTOR_MEMBER_MINIMUM and not reduced:
                if self.sector == self.Sector.D:
                    return _(
                        "Class %(value)s is below the Sector Member minimum of ½; "
                        "ITU-D also allows ¼, ⅛ and 1/16."
                    ) % {"value": shown}
                return _(
                    "Class %(value)s is below the Sector Member minimum of ½ "
                    "(classes below ½ exist only in ITU-D)."
                ) % {"value": shown}
            above_40 = value > 40 and value == value.to_integral_value()
            if (
                value >= SECTOR_MEMBER_MINIMUM
                and value not in MEMBER_STATE_CLASSES
                and not above_40
            ):
                return _(
                    "Class %(value)s is not a class of contribution; allowed: "
                    "%(allowed)s."
                ) % {"value": shown, "allowed": _allowed(MEMBER_STATE_CLASSES)}
            if value == Decimal("0.0625") and country and not country.is_developing:
                return _(
                    "Class 1/16 is open only to entities from developing countries "
                    "(%(country)s is high-income)."
                ) % {"country": country}
            return None
        allowed = (
            ACADEMIA_CLASSES
            if self.type == self.Type.ACADEMIA
            else ASSOCIATE_CLASSES_D
            if self.sector == self.Sector.D
            else ASSOCIATE_CLASSES_RT
        )
        if value not in allowed:
            return _(
                "Class %(value)s is not allowed for %(type)s; allowed: %(allowed)s."
            ) % {
                "value": shown,
                "type": self.get_type_display(),
                "allowed": _allowed(allowed),
            }
        if value == Decimal("0.03125") and country and not country.is_developing:
            return _(
                "Class 1/32 is open only to entities from developing countries "
                "(%(country)s is high-income)."
            ) % {"country": country}
        return None


def _allowed(classes: tuple[Decimal, ...]) -> str:
    return ", ".join(format_class(c) for c in classes)


# Longer positions and partner names give way to the role and short name in pickers.
PICKER_NAME_MAX = 40


class Contact(models.Model):
    class Title(models.TextChoices):
        HE = "H.E.", _("H.E.")
        DR = "Dr", _("Dr")
        PROF = "Prof.", _("Prof.")
        MR = "Mr", _("Mr")
        MS = "Ms", _("Ms")
        MRS = "Mrs", _("Mrs")
        MX = "Mx", _("Mx")

    class Gender(models.TextChoices):
        WOMAN = "f", _("Madam")
        MAN = "m", _("Sir")

    title = models.CharField(
        _("title"), max_length=10, choices=Title.choices, blank=True
    )
    gender = models.CharField(
        _("addressed as"),
        max_length=1,
        choices=Gender.choices,
        blank=True,
        help_text=_(
            "Decides titles and role names in languages that agree them: "
            "S. E. Mme, Ambassadrice / Représentante permanente."
        ),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    languages = models.CharField(
        _("languages"),
        max_length=100,
        blank=True,
        help_text=_("Languages spoken, e.g. English, French, Arabic."),
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    import_batch = import_batch_field()

    objects = ContactQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return " ".join(
            p for p in (self.form_of_address, self.first_name, self.last_name) if p
        )

    def get_absolute_url(self) -> str:
        return reverse("admin:partners_contact_change", args=[self.pk])

    @property
    def form_of_address(self) -> str:
        """The title in the reader's language: "H.E." / "S. E.", "Ms" / "Mme".

        A woman or a man addressed as Excellency is "S. E. Mme" / "S. E. M." in
        French; an English "H.E." needs no more.
        """
        if not self.title:
            return ""
        if self.title == self.Title.HE and self.gender == self.Gender.WOMAN:
            return pgettext("title of a woman", "H.E.")
        if self.title == self.Title.HE and self.gender == self.Gender.MAN:
            return pgettext("title of a man", "H.E.")
        return self.get_title_display()

    @property
    def languages_display(self) -> str:
        """The languages spoken, in the reader's language ("japonais, anglais")."""
        return language_names(self.languages)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def picker_label(self) -> str:
        """The contact as pickers offer it: "H.E. Yuko Nakamura — Ambassador,
        Japan", or "— former Ambassador, Japan" when no role is current.

        Reads ``ContactQuerySet.with_picker_label()``'s annotations; a contact
        loaded without them asks the database once.
        """
        if not hasattr(self, "picker_role"):
            row = (
                type(self)
                .objects.filter(pk=self.pk)
                .with_picker_label()
                .values(
                    "picker_role",
                    "picker_position",
                    "picker_partner",
                    "picker_partner_short",
                    "picker_ended",
                )
                .get()
            )
            for name, value in row.items():
                setattr(self, name, value)
        if not self.picker_role:
            return str(self)
        # Short enough to read in a drop-down: the position as the partner
        # writes it when brief, else the role ("Ambassador / Permanent
        # Representative" read as "Ambassador"); the partner's name unless long.
        position = self.picker_position or ""
        role = str(Affiliation.Role(self.picker_role).label).split(" / ")[0]
        partner = self.picker_partner
        if len(partner) > PICKER_NAME_MAX and self.picker_partner_short:
            partner = self.picker_partner_short
        values = {
            "name": str(self),
            "role": position if 0 < len(position) <= PICKER_NAME_MAX else role,
            "partner": partner,
        }
        if self.picker_ended:
            return _("%(name)s — former %(role)s, %(partner)s") % values
        return _("%(name)s — %(role)s, %(partner)s") % values


class Affiliation(models.Model):
    class Role(models.TextChoices):
        AMBASSADOR = "ambassador", _("Ambassador / Permanent Representative")
        DEPUTY = "deputy", _("Deputy Permanent Representative")
        MINISTER = "minister", _("Minister")
        COUNSELLOR = "counsellor", _("Counsellor")
        ATTACHE = "attache", _("Attaché")
        FOCAL_POINT = "focal_point", _("Focal point")
        HEAD = "head", _("Head of organisation / CEO")
        DIRECTOR = "director", _("Director")
        STAFF = "staff", _("Staff")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="affiliations",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="affiliations",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    position = models.CharField(
        _("position"),
        max_length=200,
        blank=True,
        help_text=_("The title as the partner writes it."),
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    import_batch = import_batch_field()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "end_date", "-start_date"]
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")

    def __str__(self) -> str:
        return f"{self.contact} – {self.role_display}, {self.partner}"

    @property
    def role_display(self) -> str:
        """The role, agreeing with the contact: "Ambassadrice / Représentante…"."""
        if self.contact.gender == Contact.Gender.WOMAN:
            return str(WOMAN_ROLES.get(self.role, self.get_role_display()))
        return self.get_role_display()

    @property
    def is_current(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()

    def clean(self) -> None:
        error = period_error(
            self.start_date,
            self.end_date,
            _("The affiliation ends (%(end)s) before it starts (%(start)s)."),
        )
        if error:
            raise ValidationError({"end_date": error})


# Role names said of a woman, where the language has a feminine form.
WOMAN_ROLES = {
    Affiliation.Role.AMBASSADOR: pgettext_lazy(
        "role of a woman", "Ambassador / Permanent Representative"
    ),
    Affiliation.Role.DEPUTY: pgettext_lazy(
        "role of a woman", "Deputy Permanent Representative"
    ),
    Affiliation.Role.MINISTER: pgettext_lazy("role of a woman", "Minister"),
    Affiliation.Role.COUNSELLOR: pgettext_lazy("role of a woman", "Counsellor"),
    Affiliation.Role.ATTACHE: pgettext_lazy("role of a woman", "Attaché"),
    Affiliation.Role.HEAD: pgettext_lazy(
        "role of a woman", "Head of organisation / CEO"
    ),
    Affiliation.Role.DIRECTOR: pgettext_lazy("role of a woman", "Director"),
}


class Event(models.Model):
    class Kind(models.TextChoices):
        FLAGSHIP = "flagship", _("Flagship event")
        CONFERENCE = "conference", _("Conference")
        BRIEFING = "briefing", _("Ambassadors' briefing")
        SIDE_EVENT = "side_event", _("Side event")
        INDUSTRY = "industry", _("Industry event")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER
    )
    start_date = models.DateField(_("starts"))
    end_date = models.DateField(_("ends"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    website = models.URLField(_("website"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.start_date:%Y})"

    @property
    def display_name(self) -> str:
        """The name in the reader's language: French for a French reader, if any."""
        return localized_name(self.name, self.name_fr)

    def clean(self) -> None:
        error = period_error(
            self.start_date,
            self.end_date,
            _("The event ends (%(end)s) before it starts (%(start)s)."),
        )
        if error:
            raise ValidationError({"end_date": error})


class Engagement(models.Model):
    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        BRIEFING = "briefing", _("Briefing")
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        LETTER = "letter", _("Letter")
        VISIT = "visit", _("Visit")
        EVENT = "event", _("Event")

    date = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.MEETING
    )
    subject = models.CharField(_("subject"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    partners = models.ManyToManyField(
        Partner, verbose_name=_("partners"), related_name="engagements"
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts"), related_name="engagements", blank=True
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        related_name="engagements",
        blank=True,
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagements",
    )
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Visible only to staff allowed to see confidential engagements."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    import_batch = import_batch_field()

    objects = EngagementQuerySet.as_manager()

    # Who was there is part of the record: each version keeps its partners,
    # contacts and staff, so the History page shows links added and removed.
    history = HistoricalRecords(m2m_fields=["partners", "contacts", "staff"])

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        permissions = [
            ("view_confidential_engagement", _("Can view confidential engagements")),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("admin:partners_engagement_change", args=[self.pk])


class FollowUp(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    engagement = models.ForeignKey(
        Engagement,
        verbose_name=_("engagement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followups",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
    )
    description = models.CharField(_("what"), max_length=300)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        related_name="followups",
    )
    due_date = models.DateField(_("due"), db_index=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.OPEN,
        db_index=True,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FollowUpQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return _("%(description)s (due %(date)s)") % {
            "description": self.description,
            "date": f"{self.due_date:%Y-%m-%d}",
        }

    def save(self, *args, **kwargs) -> None:
        if self.partner_id is None and self.engagement_id is not None:
            # A follow-up logged on an engagement is also the first partner's to-do.
            first = (
                self.engagement.partners.order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            self.partner_id = first
        super().save(*args, **kwargs)

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date < timezone.localdate()

    def clean(self) -> None:
        errors = {}
        if self.assignee_id is None:
            errors["assignee"] = _("A follow-up needs an assignee: who will do it?")
        # On the engagement form the engagement is not saved yet: the inline
        # formset has attached the unsaved instance, and save() fills partner.
        if self.engagement is None and self.partner_id is None:
            errors["partner"] = _("A follow-up belongs to an engagement or a partner.")
        if self.status == self.Status.DONE and self.done_on is None:
            self.done_on = timezone.localdate()
        if self.status != self.Status.DONE:
            self.done_on = None
        if errors:
            raise ValidationError(errors)


class PartnerAliasQuerySet(models.QuerySet):
    def partner_ids_named(self, text: str | None) -> set[int]:
        """The partners known by ``text`` as an alias (any spelling of it)."""
        from crm.lib.names import normalize_name

        key = normalize_name(text)
        if not key:
            return set()
        return set(self.filter(normalized=key).values_list("partner", flat=True))

    def name_keys(self):
        """``(normalised name, partner id)`` of every alias, for in-memory matchers."""
        return self.values_list("normalized", "partner_id").iterator(chunk_size=5000)


class PartnerAlias(models.Model):
    """Another name a partner is known by: a merged duplicate's, an import's."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Typed in")
        MERGE = "merge", _("Merged duplicate")
        IMPORT = "import", _("Confirmed during an import")

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )
    name = models.CharField(_("name"), max_length=200)
    normalized = models.CharField(
        _("normalised name"), max_length=200, editable=False, db_index=True
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    import_batch = import_batch_field()

    objects = PartnerAliasQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "normalized"],
                name="unique_partner_alias",
                violation_error_message=_("The partner already has this alias."),
            ),
        ]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        from crm.lib.names import normalize_name

        self.normalized = normalize_name(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from crm.lib.names import normalize_name

        self.normalized = normalize_name(self.name)
        if not self.normalized:
            raise ValidationError({"name": _("An alias needs letters or digits.")})
        # The constraint's column is not on the form: say it here, by name.
        if (
            self.partner_id
            and PartnerAlias.objects.filter(
                partner=self.partner_id, normalized=self.normalized
            )
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError(
                {
                    "name": _("“%(name)s” is already an alias of this partner.")
                    % {"name": self.name}
                }
            )


class DuplicateDismissal(models.Model):
    """A pair someone marked "not a duplicate": never proposed again.

    Plain ids rather than foreign keys, so a merge never has to move them.
    """

    class Kind(models.TextChoices):
        PARTNER = "partner", _("Partners")
        CONTACT = "contact", _("Contacts")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    low_id = models.PositiveBigIntegerField()
    high_id = models.PositiveBigIntegerField()
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dismissed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("dismissed"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "low_id", "high_id"], name="unique_dismissed_pair"
            ),
        ]
        verbose_name = _("dismissed duplicate")
        verbose_name_plural = _("dismissed duplicates")

    def __str__(self) -> str:
        return f"{self.kind} {self.low_id} / {self.high_id}"


class MergeLog(models.Model):
    """One merge: who, when, what moved and every value it overwrote.

    ``data`` holds what ``merge_undo`` needs to put everything back: the
    survivor's values before and after, each removed record as it was, the
    rows whose key moved (with their old value), the link rows added and
    removed, the aliases added.
    """

    class Kind(models.TextChoices):
        PARTNER = "partner", _("Partners")
        CONTACT = "contact", _("Contacts")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    survivor_id = models.PositiveBigIntegerField(_("surviving record"))
    summary = models.CharField(_("summary"), max_length=500)
    data = models.JSONField(_("what moved"), default=dict, editable=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged"), auto_now_add=True, db_index=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-pk"]
        permissions = [("merge_records", _("Can merge partners and contacts"))]
        verbose_name = _("merge")
        verbose_name_plural = _("merge log")

    def __str__(self) -> str:
        return _("Merge %(pk)s: %(summary)s") % {"pk": self.pk, "summary": self.summary}

    @property
    def reason(self) -> str:
        """The change reason the merge writes on every history row."""
        return f"merge {self.pk}"

    @property
    def undo_reason(self) -> str:
        return f"merge {self.pk} undone"
