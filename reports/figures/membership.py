"""Report 6: membership and dues, members in arrears."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from crm.models import Country
from partners.models import Membership, UnitValue, format_class
from reports import charts
from reports.figures.tables import (
    DATE,
    INT,
    MONEY_KIND,
    NUMBER,
    ZERO,
    Column,
    Report,
    Table,
    chf_text,
    ids_of,
    money,
    region_label,
)
from reports.filters import Period


@dataclass
class ClassRow:
    contribution_class: str
    regions: dict[str, int]
    total: int
    units: Decimal
    dues_chf: Decimal

    def __getattr__(self, name: str):
        # Region columns are read as attributes: AFR, AMS, ...
        regions = self.__dict__.get("regions", {})
        if name in regions:
            return regions[name]
        raise AttributeError(name)


@dataclass
class ArrearsRow:
    partner: str
    membership: str
    region: str
    contribution_class: str
    annual_dues_chf: Decimal
    arrears_chf: Decimal
    arrears_as_of: dt.date | None
    years_of_dues: Decimal | None
    consequence: str


def membership_report(
    *, memberships: QuerySet, year: int, today: dt.date | None = None
) -> Report:
    """Member States by class and region; members in arrears and what follows.

    A Member State whose arrears reach its contributions due for the two
    preceding years loses its vote; a Sector Member, Associate or Academia
    member whose arrears reach a year of its dues is liable to suspension.
    Dues are class x the unit of ``year`` (a fifth of it for non-Member States).
    """
    unit = UnitValue.for_year(year)
    current = Membership.objects.filter(pk__in=ids_of(memberships)).current()
    member_states = current.filter(type=Membership.Type.MEMBER_STATE)
    cells: dict[Decimal, dict[str, int]] = defaultdict(dict)
    for r in (
        member_states.values("contribution_class", "partner__country__itu_region")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        region = r["partner__country__itu_region"] or "none"
        cells[Decimal(r["contribution_class"]).normalize()][region] = r["n"]
    regions = [code for code, _label in Country.Region.choices]
    has_none = any("none" in c for c in cells.values())
    class_rows = []
    for value in sorted(cells, reverse=True):
        counts = {code: cells[value].get(code, 0) for code in regions}
        if has_none:
            counts["none"] = cells[value].get("none", 0)
        total = sum(counts.values())
        class_rows.append(
            ClassRow(
                contribution_class=format_class(value),
                regions=counts,
                total=total,
                units=value * total,
                dues_chf=money(value * total * unit),
            )
        )
    region_totals = {
        code: sum(r.regions[code] for r in class_rows)
        for code in [*regions, *(["none"] if has_none else [])]
    }
    class_total = ClassRow(
        contribution_class=_("Total"),
        regions=region_totals,
        total=sum(r.total for r in class_rows),
        units=sum((r.units for r in class_rows), Decimal(0)),
        dues_chf=sum((r.dues_chf for r in class_rows), ZERO),
    )
    region_columns = [Column(code, code, INT) for code in regions]
    if has_none:
        region_columns.append(Column("none", _("No region"), INT))

    consequence = Membership.ArrearsConsequence
    in_arrears = (
        current.filter(arrears_chf__gt=0)
        .with_arrears_consequence(year)
        .select_related("partner__country")
        .order_by("-arrears_chf", "partner__name")
    )
    arrears_rows = []
    severity = {value: i for i, value in enumerate(consequence.values)}
    for m in sorted(in_arrears, key=lambda m: severity[m.consequence]):
        dues = m.annual_dues_chf(year, member_state_unit=unit)
        label = m.get_type_display() + (f" {m.sector}" if m.sector else "")
        outcome = m.arrears_consequence()
        arrears_rows.append(
            ArrearsRow(
                partner=m.partner.name,
                membership=label,
                region=region_label(
                    m.partner.country.itu_region if m.partner.country else None
                ),
                contribution_class=m.class_display,
                annual_dues_chf=dues,
                arrears_chf=m.arrears_chf,
                arrears_as_of=m.arrears_as_of,
                years_of_dues=(m.arrears_chf / dues).quantize(Decimal("0.1"))
                if dues
                else None,
                consequence="" if outcome == consequence.NONE else str(outcome.label),
            )
        )
    arrears_total = sum((r.arrears_chf for r in arrears_rows), ZERO)
    vote_lost = sum(1 for m in in_arrears if m.consequence == consequence.VOTE_LOST)
    return Report(
        slug="membership",
        title=_("Membership and dues"),
        period=Period.year(year),
        tables=[
            Table(
                key="classes",
                title=_("Member States by class of contribution and ITU region"),
                columns=[
                    Column("contribution_class", _("Class")),
                    *region_columns,
                    Column("total", _("Member States"), INT),
                    Column("units", _("Units"), NUMBER),
                    Column(
                        "dues_chf",
                        _("Dues %(year)s (CHF)") % {"year": year},
                        MONEY_KIND,
                    ),
                ],
                rows=class_rows,
                total=class_total,
                chart=charts.bar_chart(
                    [str(Country.Region(code).label) for code in regions],
                    [
                        (
                            _("Member States"),
                            charts.TARGET_COLOUR,
                            [Decimal(region_totals[c]) for c in regions],
                        )
                    ],
                    label=_("Member States by ITU region"),
                    money=False,
                ),
                note=_("Regions: %(regions)s.")
                % {
                    "regions": ", ".join(
                        f"{code} {label}" for code, label in Country.Region.choices
                    )
                },
                empty=_("No current Member State membership."),
            ),
            Table(
                key="arrears",
                title=_("Members with arrears"),
                columns=[
                    Column("partner", _("Partner")),
                    Column("membership", _("Membership")),
                    Column("region", _("ITU region")),
                    Column("contribution_class", _("Class")),
                    Column("annual_dues_chf", _("Annual dues (CHF)"), MONEY_KIND),
                    Column("arrears_chf", _("Arrears (CHF)"), MONEY_KIND),
                    Column("arrears_as_of", _("As of"), DATE),
                    Column("years_of_dues", _("Years of dues"), NUMBER),
                    Column("consequence", _("Consequence")),
                ],
                rows=arrears_rows,
                total=None,
                note=_(
                    "A Member State loses its vote when its arrears reach its "
                    "contributions due for the two preceding years (%(prev)s and "
                    "%(prev2)s); a Sector Member, Associate or Academia member is "
                    "liable to suspension when its arrears reach a year of dues."
                )
                % {"prev": year - 1, "prev2": year - 2},
                empty=_("No member in arrears."),
            ),
        ],
        headline=[
            (_("Member States"), str(class_total.total)),
            (_("Members in arrears"), str(len(arrears_rows))),
            (_("Arrears"), chf_text(arrears_total)),
            (_("Vote lost"), str(vote_lost)),
        ],
    )
