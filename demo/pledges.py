"""The pledges app's demo data, loaded by ``manage.py seed_demo``.

Pledges from 2022 to this year at every stage, for Member State governments
and the demo partners of ``demo.partners``: multi-year schedules, payments in
the donors' currencies (and some in US dollars), overdue installments, a
refund of an overpayment and a refund that reopens a fulfilled pledge,
in-kind contributions, declined and withdrawn pledges, and targets per lever
for recent years. Everything goes through ``pledges.services``, so the demo
obeys the same rules as the admin.

The plan is made in memory from the random generator, ``today``, the data
files (donors' currencies, titles, reasons: ``demo.catalogue``) and the
database's partners, levers, events and exchange rates; it is then written by
natural key (``external_source="demo"`` and a numbered ``external_id`` for
pledges, (lever, year) for targets). A second run creates nothing; on a later
day the existing history is kept rather than a second one added beside it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Min

from crm.lib.money import convert
from crm.models import ExchangeRate
from demo import catalogue
from demo.tally import Tally
from partners.models import Event, Partner
from pledges import services
from pledges.models import Installment, Lever, Pledge, Target

SOURCE = "demo"
FIRST_YEAR = 2022
Stage = Pledge.Stage
Kind = Pledge.Kind
Earmarking = Pledge.Earmarking
Frequency = Installment.Frequency
Category = Partner.Category

OTHER_STATES = 12  # further governments, drawn at random, with small pledges

# Pledge sizes in CHF (low, high) by partner category.
SIZE_CHF = {
    Category.GOVERNMENT: (150_000, 4_000_000),
    Category.GOVERNMENT_AGENCY: (100_000, 2_000_000),
    Category.DEVELOPMENT_BANK: (300_000, 6_000_000),
    Category.UN_ENTITY: (50_000, 800_000),
    Category.IGO: (30_000, 400_000),
    Category.FOUNDATION: (80_000, 2_000_000),
    Category.PRIVATE_SECTOR: (25_000, 900_000),
    Category.ACADEMIA: (10_000, 120_000),
    Category.CIVIL_SOCIETY: (5_000, 60_000),
    Category.OTHER: (10_000, 100_000),
}

# Levers (by code) each kind of partner gives through, most likely first.
LEVERS_BY_CATEGORY = {
    Category.GOVERNMENT: [
        "unearmarked",
        "earmarked",
        "partner2connect",
        "in-kind",
        "membership",
    ],
    Category.GOVERNMENT_AGENCY: ["earmarked", "in-kind", "partner2connect"],
    Category.DEVELOPMENT_BANK: ["earmarked", "partner2connect"],
    Category.UN_ENTITY: ["earmarked", "in-kind"],
    Category.IGO: ["earmarked", "flagship-events", "in-kind"],
    Category.FOUNDATION: ["earmarked", "partner2connect", "flagship-events"],
    Category.PRIVATE_SECTOR: [
        "private-sector",
        "flagship-events",
        "partner2connect",
        "in-kind",
    ],
    Category.ACADEMIA: ["flagship-events", "in-kind", "private-sector"],
    Category.CIVIL_SOCIETY: ["flagship-events", "partner2connect"],
    Category.OTHER: ["private-sector"],
}

EARMARKING_BY_LEVER = {
    "unearmarked": [Earmarking.UNEARMARKED],
    "membership": [Earmarking.UNEARMARKED],
    "earmarked": [
        Earmarking.SOFTLY_EARMARKED,
        Earmarking.EARMARKED,
        Earmarking.TIGHTLY_EARMARKED,
    ],
    "private-sector": [Earmarking.SOFTLY_EARMARKED, Earmarking.EARMARKED],
    "flagship-events": [Earmarking.EARMARKED],
    "in-kind": [Earmarking.TIGHTLY_EARMARKED],
    "partner2connect": [Earmarking.SOFTLY_EARMARKED, Earmarking.EARMARKED],
}

# (stage, weight) by the pledge's age: this year, last year, earlier.
STAGE_MIX = {
    0: [
        (Stage.PROSPECT, 14),
        (Stage.CULTIVATION, 14),
        (Stage.PROPOSAL, 18),
        (Stage.PLEDGED, 18),
        (Stage.AGREEMENT_SIGNED, 20),
        (Stage.FULFILLED, 8),
        (Stage.DECLINED, 6),
        (Stage.WITHDRAWN, 2),
    ],
    1: [
        (Stage.PROPOSAL, 6),
        (Stage.PLEDGED, 12),
        (Stage.AGREEMENT_SIGNED, 30),
        (Stage.FULFILLED, 36),
        (Stage.DECLINED, 10),
        (Stage.WITHDRAWN, 6),
    ],
    2: [
        (Stage.AGREEMENT_SIGNED, 16),
        (Stage.PLEDGED, 4),
        (Stage.FULFILLED, 62),
        (Stage.DECLINED, 10),
        (Stage.WITHDRAWN, 8),
    ],
}


@dataclass
class PlannedPayment:
    received_on: dt.date
    amount: Decimal  # in ``currency``; negative for a refund
    currency: str
    reference: str
    # The last installment pays what is left (plus ``extra``, an overpayment),
    # so that rounding in earlier US-dollar payments cannot leave a cent owed.
    settles: bool = False
    extra: Decimal = Decimal(0)
    refunds_previous: bool = False  # a refund of the payment before it


@dataclass
class PlannedPledge:
    external_id: str
    partner: Partner
    lever: Lever
    title: str
    stage: str  # the stage it ends at
    kind: str
    earmarking: str
    amount: Decimal
    currency: str
    pledged_on: dt.date | None = None
    agreement_signed_on: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    expected_by: dt.date | None = None
    probability: int | None = None
    event: Event | None = None
    owner: object = None
    agreement_reference: str = ""
    purpose: str = ""
    schedule: tuple[int, str, dt.date] | None = None  # count, frequency, first due
    payments: list[PlannedPayment] = field(default_factory=list)
    closed_on: dt.date | None = None
    closed_reason: str = ""


def seed(*, rng: random.Random, today: dt.date, stdout) -> None:
    """Load the pledges demo data; see the module docstring."""
    first_day = dt.date(max(FIRST_YEAR, today.year - 4), 1, 15)
    currencies = usable_currencies(first_day)
    partners = demo_partners(rng)
    if not partners:
        raise RuntimeError(
            "No partners: run seed_reference and the partners seed first."
        )
    levers = {lever.code: lever for lever in Lever.objects.order_by("position", "pk")}
    if not levers:
        raise RuntimeError("No levers: the pledges migrations seed them.")
    events = list(
        Event.objects.filter(start_date__gte=first_day, start_date__lte=today).order_by(
            "start_date", "pk"
        )
    )
    owners = list(
        get_user_model()
        .objects.filter(is_staff=True, is_superuser=False)
        .order_by("username")
    )
    plans = plan_pledges(
        rng, today, first_day, partners, levers, events, owners, currencies
    )
    report = [write_pledges(plans, today)]
    report.append(write_targets(plans, levers, today))
    for line in report:
        stdout.write(line)


def usable_currencies(first_day: dt.date) -> set[str]:
    """Currencies convertible to CHF on every date the demo uses.

    CHF always; the others only when CHF and they have rates from the first day.
    """
    earliest = dict(
        ExchangeRate.objects.values("currency")
        .annotate(first=Min("effective_date"))
        .values_list("currency", "first")
    )
    if "CHF" not in earliest or earliest["CHF"] > first_day:
        return {"CHF"}
    usable = {"CHF", "USD"}
    usable.update(code for code, first in earliest.items() if first <= first_day)
    return usable


def demo_partners(rng: random.Random) -> list[Partner]:
    """Donor governments, a few more drawn at random, and the demo partners."""
    governments = list(
        Partner.objects.filter(code__startswith="GOV-", country__isnull=False)
        .select_related("country", "owner")
        .order_by("code")
    )
    donor_states = catalogue.pledge_donors().governments
    donors = [p for p in governments if p.country.iso3 in donor_states]
    others = [p for p in governments if p.country.iso3 not in donor_states]
    donors += sorted(
        rng.sample(others, min(OTHER_STATES, len(others))), key=lambda p: p.code
    )
    demo = list(
        Partner.objects.filter(code__startswith="DEMO-")
        .select_related("country", "owner")
        .order_by("code")
    )
    return donors + demo


def nice(amount: Decimal) -> Decimal:
    """Round to two significant figures: 1,234,567 -> 1,200,000."""
    digits = len(str(int(amount)))
    step = Decimal(10) ** max(digits - 2, 0)
    return (amount / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def pick_stage(rng: random.Random, age: int) -> str:
    stages, weights = zip(*STAGE_MIX[min(age, 2)], strict=True)
    return rng.choices(stages, weights=weights)[0]


def plan_pledges(
    rng: random.Random,
    today: dt.date,
    first_day: dt.date,
    partners: list[Partner],
    levers: dict[str, Lever],
    events: list[Event],
    owners: list,
    currencies: set[str],
) -> list[PlannedPledge]:
    donors = catalogue.pledge_donors()
    texts = catalogue.pledge_texts()
    years = list(range(first_day.year, today.year + 1))
    plans: list[PlannedPledge] = []
    number = 0
    for partner in partners:
        count = rng.choice((1, 2, 2, 3, 3, 4, 5))
        if partner.category == Category.GOVERNMENT and (
            partner.country.iso3 not in donors.governments
        ):
            count = rng.choice((1, 1, 2))
        for _index in range(count):
            number += 1
            year = rng.choices(years, weights=range(1, len(years) + 1))[0]
            plan = plan_one(
                rng,
                today,
                first_day,
                f"pledge-{number:04d}",
                partner,
                year,
                levers,
                events,
                owners,
                currencies,
                donors,
                texts,
            )
            if plan is not None:
                plans.append(plan)
    add_showcases(rng, today, plans, texts)
    return plans


def pledge_currency(
    rng: random.Random,
    partner: Partner,
    currencies: set[str],
    donors: catalogue.PledgeDonors,
) -> str:
    """A government pledges in its own currency, others mostly in theirs."""
    iso3 = partner.country.iso3 if partner.country else ""
    home = donors.governments.get(iso3) or donors.home_currencies.get(iso3, "")
    if partner.category == Category.GOVERNMENT and home in currencies:
        return home
    choice = rng.choices((home, "USD", "CHF", "EUR"), weights=(5, 3, 3, 1))[0]
    return choice if choice in currencies else "CHF"


def plan_one(
    rng: random.Random,
    today: dt.date,
    first_day: dt.date,
    external_id: str,
    partner: Partner,
    year: int,
    levers: dict[str, Lever],
    events: list[Event],
    owners: list,
    currencies: set[str],
    donors: catalogue.PledgeDonors,
    texts: catalogue.PledgeTexts,
) -> PlannedPledge | None:
    codes = [c for c in LEVERS_BY_CATEGORY[partner.category] if c in levers]
    lever = levers[rng.choice(codes)] if codes else next(iter(levers.values()))
    code = lever.code if lever.code in texts.titles else "earmarked"
    stage = pick_stage(rng, today.year - year)
    kind = Kind.IN_KIND if code == "in-kind" else Kind.CASH
    if kind == Kind.IN_KIND and stage in (Stage.AGREEMENT_SIGNED, Stage.PLEDGED):
        stage = rng.choice((Stage.FULFILLED, Stage.PLEDGED))
    currency = pledge_currency(rng, partner, currencies, donors)
    low, high = SIZE_CHF[partner.category]
    if kind == Kind.IN_KIND:
        low, high = low // 4, high // 4
    start = max(dt.date(year, 1, 10), first_day)
    end = min(dt.date(year, 12, 20), today)
    if end < start:
        return None
    pledged_on = random_date(rng, start, end)
    chf = Decimal(rng.randint(low, high))
    amount = nice(convert(chf, "CHF", currency, pledged_on).amount)
    title = rng.choice(texts.titles[code]).format(
        year=year, next=year + 1, phase=rng.choice(("I", "II", "III"))
    )
    plan = PlannedPledge(
        external_id=external_id,
        partner=partner,
        lever=lever,
        title=title,
        stage=stage,
        kind=kind,
        earmarking=rng.choice(EARMARKING_BY_LEVER.get(code, [Earmarking.EARMARKED])),
        amount=amount,
        currency=currency,
        owner=partner.owner or (rng.choice(owners) if owners else None),
        purpose=f"{lever.name}: {title}.",
    )
    in_year = [e for e in events if e.start_date.year == year]
    if in_year and rng.random() < 0.3:
        plan.event = rng.choice(in_year)
        pledged_on = plan.event.start_date

    if stage in Pledge.Stage.PIPELINE or stage == Stage.DECLINED:
        plan.expected_by = random_date(
            rng, today + dt.timedelta(days=20), today + dt.timedelta(days=300)
        )
        if stage == Stage.DECLINED:
            plan.expected_by = pledged_on + dt.timedelta(days=rng.randint(30, 120))
            plan.closed_on = min(plan.expected_by, today)
            plan.closed_reason = rng.choice(texts.declined)
        elif rng.random() < 0.3:
            plan.probability = rng.choice((5, 15, 30, 40, 60))
        plan.event = None
        return plan

    plan.pledged_on = pledged_on
    if kind == Kind.IN_KIND:
        # Delivered, not paid: fulfilled by hand, still pledged, or withdrawn.
        if stage == Stage.WITHDRAWN:
            plan.closed_on = min(pledged_on + dt.timedelta(days=90), today)
            plan.closed_reason = rng.choice(texts.withdrawn)
        elif stage == Stage.FULFILLED:
            # The delivery, valued at the pledged amount, is recorded as
            # received so that the lever's figures count it.
            delivered_on = random_date(
                rng,
                min(pledged_on + dt.timedelta(days=30), today - dt.timedelta(days=1)),
                min(pledged_on + dt.timedelta(days=200), today - dt.timedelta(days=1)),
            )
            plan.payments = [
                PlannedPayment(
                    delivered_on,
                    amount,
                    currency,
                    f"IN-KIND-{external_id[-4:]}",
                    settles=True,
                )
            ]
        return plan

    signed = stage == Stage.AGREEMENT_SIGNED or (
        stage in (Stage.FULFILLED, Stage.WITHDRAWN) and rng.random() < 0.7
    )
    if signed:
        plan.agreement_signed_on = min(
            pledged_on + dt.timedelta(days=rng.randint(10, 90)), today
        )
        plan.agreement_reference = f"AGR-{pledged_on.year}-{external_id[-4:]}"
    multi_year = rng.random() < 0.4
    count, frequency = (
        (rng.choice((2, 3, 4)), Frequency.YEARLY)
        if multi_year
        else rng.choice(
            (
                (1, Frequency.YEARLY),
                (2, Frequency.HALF_YEARLY),
                (4, Frequency.QUARTERLY),
            )
        )
    )
    first_due = (plan.agreement_signed_on or pledged_on) + dt.timedelta(
        days=rng.randint(20, 90)
    )
    months = Installment.MONTHS_BETWEEN[frequency] * (count - 1)
    if stage == Stage.FULFILLED:
        # Everything fell due, and was paid, before today.
        latest_first = services.add_months(today, -months) - dt.timedelta(days=30)
        if latest_first < first_due:
            count, frequency = 1, Frequency.YEARLY
            first_due = min(first_due, today - dt.timedelta(days=20))
            if first_due < pledged_on:
                return None
    plan.schedule = (count, frequency, first_due)
    if multi_year or count > 1:
        plan.period_start = dt.date(first_due.year, 1, 1)
        plan.period_end = dt.date(services.add_months(first_due, months).year, 12, 31)
    plan.payments = plan_payments(rng, today, plan, currencies)
    if stage == Stage.WITHDRAWN:
        paid = [p.received_on for p in plan.payments]
        plan.closed_on = max([*paid, pledged_on]) + dt.timedelta(
            days=rng.randint(10, 60)
        )
        plan.closed_on = min(plan.closed_on, today)
        plan.closed_reason = rng.choice(texts.withdrawn)
    return plan


def plan_payments(
    rng: random.Random, today: dt.date, plan: PlannedPledge, currencies: set[str]
) -> list[PlannedPayment]:
    """Pay the installments due, on time or a little late; some partners stop."""
    count, frequency, first_due = plan.schedule
    step = Installment.MONTHS_BETWEEN[frequency]
    dues = [
        (services.add_months(first_due, index * step), part)
        for index, part in enumerate(services.split_amount(plan.amount, count))
    ]
    late_payer = plan.stage != Stage.FULFILLED and rng.random() < 0.35
    stop_after = rng.randint(0, max(count - 1, 0)) if late_payer else count
    if plan.stage == Stage.WITHDRAWN:
        stop_after = min(stop_after, rng.randint(0, max(count - 1, 0)))
    payments: list[PlannedPayment] = []
    for index, (due, part) in enumerate(dues):
        if index >= stop_after:
            break
        latest = due + dt.timedelta(days=25)
        if plan.stage == Stage.FULFILLED:
            latest = min(latest, today - dt.timedelta(days=1))
        paid_on = max(
            random_date(rng, min(due - dt.timedelta(days=10), latest), latest),
            plan.pledged_on,
        )
        if paid_on > today:
            break
        reference = f"FIN-{paid_on.year}-{plan.external_id[-4:]}-{index + 1}"
        last = index == count - 1
        if (
            not last
            and plan.currency not in ("USD", "CHF")
            and "USD" in currencies
            and rng.random() < 0.2
        ):
            # Some installments arrive in US dollars; the last one never does,
            # so that the pledge-currency equivalents add up exactly.
            usd = convert(part, plan.currency, "USD", paid_on).amount
            payments.append(PlannedPayment(paid_on, usd, "USD", reference))
            continue
        payments.append(
            PlannedPayment(paid_on, part, plan.currency, reference, settles=last)
        )
    return payments


def add_showcases(
    rng: random.Random,
    today: dt.date,
    plans: list[PlannedPledge],
    texts: catalogue.PledgeTexts,
):
    """Make sure the screens show a refund of each kind."""
    fulfilled = [
        p
        for p in plans
        if p.stage == Stage.FULFILLED
        and p.kind == Kind.CASH
        and p.payments
        and p.payments[-1].received_on < today - dt.timedelta(days=40)
    ]
    if len(fulfilled) < 2:
        return
    overpaid, reopened = fulfilled[0], fulfilled[-1]
    # An overpayment, refunded: the pledge stays fulfilled.
    last = overpaid.payments[-1]
    extra = nice(overpaid.amount * Decimal("0.05")) or Decimal(1)
    last.extra = extra
    overpaid.payments.append(
        PlannedPayment(
            last.received_on + dt.timedelta(days=21),
            -extra,
            overpaid.currency,
            f"REFUND-{overpaid.external_id[-4:]}",
        )
    )
    overpaid.purpose += texts.overpaid
    # A payment refunded (sent for another project): the pledge is owed again.
    last = reopened.payments[-1]
    reopened.payments.append(
        PlannedPayment(
            last.received_on + dt.timedelta(days=14),
            -last.amount,
            last.currency,
            f"REFUND-{reopened.external_id[-4:]}",
            refunds_previous=True,
        )
    )
    reopened.stage = (
        Stage.AGREEMENT_SIGNED if reopened.agreement_signed_on else Stage.PLEDGED
    )
    reopened.purpose += texts.refunded


def write_pledges(plans: list[PlannedPledge], today: dt.date) -> str:
    existing = set(
        Pledge.objects.filter(external_source=SOURCE).values_list(
            "external_id", flat=True
        )
    )
    tally = Tally()
    for plan in plans:
        if plan.external_id in existing:
            tally["existing"] += 1
            continue
        write_one(plan, today)
        tally["created"] += 1
    return tally.line("pledges")


def write_one(plan: PlannedPledge, today: dt.date) -> Pledge:
    if plan.stage in (*Pledge.Stage.PIPELINE, Stage.DECLINED):
        initial = Stage.PROPOSAL if plan.stage == Stage.DECLINED else plan.stage
    elif plan.kind == Kind.IN_KIND and not plan.payments:
        initial = plan.stage if plan.stage != Stage.WITHDRAWN else Stage.PLEDGED
    else:
        initial = Stage.AGREEMENT_SIGNED if plan.agreement_signed_on else Stage.PLEDGED
    fields = {
        "stage": initial,
        "kind": plan.kind,
        "earmarking": plan.earmarking,
        "pledged_on": plan.pledged_on,
        "agreement_signed_on": plan.agreement_signed_on,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "expected_by": plan.expected_by,
        "event": plan.event,
        "owner": plan.owner,
        "agreement_reference": plan.agreement_reference,
        "purpose": plan.purpose,
        "external_source": SOURCE,
        "external_id": plan.external_id,
    }
    if plan.probability is not None:
        fields["probability"] = plan.probability
    pledge = services.pledge_create(
        partner=plan.partner,
        title=plan.title,
        lever=plan.lever,
        amount=plan.amount,
        currency=plan.currency,
        **fields,
    )
    if plan.schedule:
        count, frequency, first_due = plan.schedule
        services.pledge_generate_schedule(
            pledge=pledge, count=count, frequency=frequency, first_due=first_due
        )
    previous = None
    for payment in plan.payments:
        amount = payment.amount
        if payment.settles:
            amount = pledge.amount - pledge.received_total() + payment.extra
        if payment.refunds_previous and previous is not None:
            amount = -previous.amount
        previous = services.pledge_record_payment(
            pledge=pledge,
            amount=amount,
            currency=payment.currency,
            received_on=payment.received_on,
            reference=payment.reference,
        )
    if plan.stage == Stage.DECLINED:
        services.pledge_decline(
            pledge=pledge, reason=plan.closed_reason, on=plan.closed_on
        )
    elif plan.stage == Stage.WITHDRAWN:
        services.pledge_withdraw(
            pledge=pledge, reason=plan.closed_reason, on=plan.closed_on
        )
    return pledge


def write_targets(
    plans: list[PlannedPledge], levers: dict[str, Lever], today: dt.date
) -> str:
    """A target per active lever for the last two years, this year and next, and
    one across all levers: a fifth above what the demo pledges average a year."""
    notes = catalogue.pledge_texts().target_notes
    years = range(today.year - 2, today.year + 2)
    pledged: Counter = Counter()
    plan_years = set()
    for plan in plans:
        if plan.stage in (Stage.DECLINED, Stage.WITHDRAWN):
            continue
        on = plan.pledged_on or today
        plan_years.add(on.year)
        chf = plan.amount * convert(Decimal(1), plan.currency, "CHF", on).rate
        pledged[plan.lever.code] += chf
        pledged[""] += chf
    existing = {
        (target.lever.code if target.lever_id else "", target.year)
        for target in Target.objects.filter(year__in=years).select_related("lever")
    }
    tally, new = Tally(), []
    for year in years:
        for code in ["", *levers]:
            if code and not levers[code].is_active:
                continue
            if (code, year) in existing:
                tally["existing"] += 1
                continue
            if not pledged[code]:
                continue
            yearly = pledged[code] / len(plan_years)
            growth = Decimal("1.2") + Decimal("0.05") * (year - today.year)
            new.append(
                Target(
                    lever=levers[code] if code else None,
                    year=year,
                    amount_chf=nice(yearly * growth),
                    notes=notes,
                )
            )
            tally["created"] += 1
    for target in new:
        target.full_clean()
    Target.objects.bulk_create(new)
    return tally.line("targets")
