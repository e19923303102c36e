"""The partners app's demo data, loaded by ``manage.py seed_demo``.

Task-force staff, some forty non-state partners, ITU memberships, contacts at
Permanent Missions and partner organisations, events, two years of
engagements and their follow-ups. Everything is fictitious (invented people
and organisations, ``.example`` addresses) except the Member States, whose
government partners come from ``seed_reference``.

The data is first planned in memory (``demo.people``, ``demo.history``) from
the random generator, ``today`` and the data files alone, then written by
natural key: user name, partner code, contact e-mail, (contact, partner, role)
for affiliations, (partner, type, sector) for memberships, (name, start date)
for events and (subject, date) for engagements. A second run with the same
seed and date creates nothing, and rows an administrator has edited are left
alone. The engagement history is written once: on a later day the existing
history is kept rather than a second one, shifted by the date, added beside it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q

from crm.models import Country
from crm.roles import TASK_FORCE, roles_setup
from demo import catalogue
from demo.history import (
    plan_engagements,
    plan_events,
    plan_partner_followups,
)
from demo.people import StateInfo, member_states, owners, plan_people
from demo.tally import Tally
from partners.models import (
    Affiliation,
    Contact,
    Engagement,
    Event,
    FollowUp,
    Membership,
    Partner,
    Tag,
    UnitValue,
)

MType = Membership.Type
ARREARS_STATES = 12  # Member States in arrears, never a large contributor


def seed(*, rng: random.Random, today: dt.date, stdout) -> None:
    """Load the partners demo data; see the module docstring."""
    seeds = {
        name: rng.getrandbits(64)
        for name in ("people", "classes", "log", "todo", "arrears")
    }
    states = member_states()
    if not states:
        raise RuntimeError("No government partners: run seed_reference first.")

    events = plan_events(today)
    contacts, affiliations = plan_people(random.Random(seeds["people"]), today, states)
    classes_rng = random.Random(seeds["classes"])
    large = catalogue.member_states().contribution_classes
    classes = {
        s.code: member_state_class(s, large, classes_rng) for s in states if s.is_member
    }
    engagements = plan_engagements(
        random.Random(seeds["log"]),
        today,
        states,
        contacts,
        affiliations,
        events,
        classes,
    )
    todos = plan_partner_followups(
        random.Random(seeds["todo"]), today, states, affiliations
    )

    report: list[str] = []
    users = _write_staff(report)
    tags = _write_tags(report)
    partners = _write_partners(users, tags, states, report)
    _write_memberships(
        partners, states, classes, today, random.Random(seeds["arrears"]), report
    )
    people = _write_contacts(contacts, affiliations, partners, report)
    event_objects = _write_events(events, report)
    _write_engagements(engagements, partners, people, users, event_objects, report)
    _write_partner_followups(todos, partners, users, report)
    for line in report:
        stdout.write(line)


def member_state_class(
    state: StateInfo, large: dict[str, str], rng: random.Random
) -> str:
    """A Member State's class of contribution: the largest contributors' from
    the data file, the others drawn by income group."""
    if state.iso3 in large:
        return large[state.iso3]
    if state.is_ldc:
        return rng.choice(["0.0625", "0.125", "0.125", "0.25", "0.5"])
    choices = {
        "High": ["1", "1", "2", "2", "3", "4", "5"],
        "Upper middle": ["0.5", "1", "1", "1", "1.5", "2"],
        "Lower middle": ["0.25", "0.5", "0.5", "0.5", "1"],
        "Low": ["0.25", "0.25", "0.5"],
    }.get(state.income, ["0.25", "0.5", "1"])
    return rng.choice(choices)


def _write_staff(report: list[str]) -> dict:
    User = get_user_model()
    staff = catalogue.staff()
    usernames = [member.username for member in staff]
    existing = {u.username: u for u in User.objects.filter(username__in=usernames)}
    tally, new = Tally(), []
    for member in staff:
        if member.username in existing:
            tally["existing"] += 1
            continue
        user = User(
            username=member.username,
            first_name=member.first_name,
            last_name=member.last_name,
            email=f"{member.username}@example.org",
            is_staff=True,
        )
        user.set_unusable_password()
        new.append(user)
        tally["created"] += 1
    User.objects.bulk_create(new)
    report.append(tally.line("staff users"))
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    roles_setup()
    task_force = Group.objects.get(name=TASK_FORCE)
    task_force.user_set.add(*users.values())
    return users


def _write_tags(report: list[str]) -> dict[str, Tag]:
    names = catalogue.tags()
    existing = set(Tag.objects.filter(name__in=names).values_list("name", flat=True))
    Tag.objects.bulk_create([Tag(name=n) for n in names if n not in existing])
    report.append(
        Tally(created=len(names) - len(existing), existing=len(existing)).line("tags")
    )
    return {t.name: t for t in Tag.objects.filter(name__in=names)}


def _write_partners(users, tags, states, report) -> dict[str, Partner]:
    organisations = catalogue.organisations()
    owner_of = owners(states, catalogue.staff(), organisations)
    large = catalogue.member_states().contribution_classes
    codes = [org.code for org in organisations]
    existing = {p.code: p for p in Partner.objects.filter(code__in=codes)}
    countries = {c.iso3: c for c in Country.objects.all()}
    tally, new = Tally(), []
    for org in organisations:
        if org.code in existing:
            tally["existing"] += 1
            continue
        partner = Partner(
            code=org.code,
            name=org.name,
            name_fr=org.name_fr,
            short_name=org.short_name,
            category=org.category,
            country=countries[org.country],
            website=f"https://www.{org.domain}",
            owner=users[owner_of[org.code]],
            priority=org.priority,
            notes=org.notes,
        )
        partner.full_clean(exclude=["parent", "owner", "country"])
        new.append(partner)
        tally["created"] += 1
    Partner.objects.bulk_create(new)
    by_code = {
        p.code: p
        for p in Partner.objects.filter(
            Q(code__in=codes) | Q(code__startswith="GOV-")
        ).select_related("country")
    }
    # Parents and tags only on the partners created now: later edits stay.
    created = {p.code for p in new}
    with_parent = []
    for org in organisations:
        if org.code in created and org.parent:
            partner = by_code[org.code]
            partner.parent = by_code[org.parent]
            with_parent.append(partner)
    Partner.objects.bulk_update(with_parent, ["parent"])
    Through = Partner.tags.through
    Through.objects.bulk_create(
        [
            Through(partner_id=by_code[org.code].pk, tag_id=tags[name].pk)
            for org in organisations
            if org.code in created
            for name in org.tags
        ]
    )
    # Member States get a relationship owner once; an administrator's choice stays.
    unowned = [
        p
        for p in by_code.values()
        if p.code.startswith("GOV-") and p.owner_id is None and p.code in owner_of
    ]
    for partner in unowned:
        partner.owner = users[owner_of[partner.code]]
        if partner.country.iso3 in large:
            partner.priority = Partner.Priority.HIGH
    Partner.objects.bulk_update(unowned, ["owner", "priority"])
    report.append(tally.line("partners"))
    report.append(f"  relationship owners set on {len(unowned)} Member States")
    return by_code


def _write_memberships(partners, states, classes, today, arrears_rng, report) -> None:
    facts = catalogue.member_states()
    existing = set(
        Membership.objects.filter(partner__in=partners.values()).values_list(
            "partner__code", "type", "sector"
        )
    )
    unit = UnitValue.for_year(today.year)
    state_by_code = {s.code: s for s in states}
    in_arrears = set(
        arrears_rng.sample(
            sorted(
                code
                for code, s in state_by_code.items()
                if s.is_member and s.iso3 not in facts.contribution_classes
            ),
            ARREARS_STATES,
        )
    )
    planned: list[Membership] = []
    for code, value in sorted(classes.items()):
        state = state_by_code[code]
        cls = Decimal(value)
        arrears = Decimal("0.00")
        if code in in_arrears:
            arrears = cls * unit * Decimal(arrears_rng.choice(["0.5", "1", "2.5"]))
        planned.append(
            Membership(
                partner=partners[code],
                type=MType.MEMBER_STATE,
                sector="",
                contribution_class=cls,
                start_date=facts.founded_on
                if state.iso3 in facts.founding_members
                else facts.joined_on.get(state.iso3),
                arrears_chf=arrears.quantize(Decimal("0.01")),
                arrears_as_of=today.replace(day=1) if arrears else None,
            )
        )
    for code, rows in catalogue.organisation_memberships().items():
        for index, row in enumerate(rows):
            since = dt.date(today.year - 3 - 2 * index - len(code) % 5, 1, 1)
            membership = Membership(
                partner=partners[code],
                type=row.type,
                sector=row.sector,
                contribution_class=row.contribution_class,
                start_date=since,
                status=row.status,
            )
            if row.status == Membership.Status.ENDED:
                membership.end_date = dt.date(today.year - 1, 12, 31)
            if row.status == Membership.Status.SUSPENDED:
                # A year and a half of unpaid dues.
                dues = membership.annual_dues_chf(today.year)
                membership.arrears_chf = (dues * Decimal("1.5")).quantize(
                    Decimal("0.01")
                )
                membership.arrears_as_of = today.replace(day=1)
            planned.append(membership)
    tally, new = Tally(), []
    for membership in planned:
        key = (membership.partner.code, membership.type, membership.sector)
        if key in existing:
            tally["existing"] += 1
            continue
        membership.full_clean()
        new.append(membership)
        tally["created"] += 1
    Membership.objects.bulk_create(new)
    report.append(tally.line("memberships"))


def _write_contacts(contacts, affiliations, partners, report) -> dict[str, Contact]:
    existing = {c.email: c for c in Contact.objects.filter(email__in=list(contacts))}
    tally, new = Tally(), []
    for email, planned in contacts.items():
        if email in existing:
            tally["existing"] += 1
            continue
        new.append(
            Contact(
                title=planned.title,
                first_name=planned.first,
                last_name=planned.last,
                job_title=planned.job_title,
                email=email,
                phone=planned.phone,
                languages=planned.languages,
                notes=planned.notes,
            )
        )
        tally["created"] += 1
    Contact.objects.bulk_create(new)
    report.append(tally.line("contacts"))
    by_email = {c.email: c for c in Contact.objects.filter(email__in=list(contacts))}

    present = set(
        Affiliation.objects.filter(contact__in=by_email.values()).values_list(
            "contact__email", "partner__code", "role"
        )
    )
    tally, new = Tally(), []
    for a in affiliations:
        if (a.email, a.partner, a.role) in present:
            tally["existing"] += 1
            continue
        present.add((a.email, a.partner, a.role))
        new.append(
            Affiliation(
                contact=by_email[a.email],
                partner=partners[a.partner],
                role=a.role,
                position=a.position[:200],
                is_primary=a.primary,
                start_date=a.start,
                end_date=a.end,
            )
        )
        tally["created"] += 1
    Affiliation.objects.bulk_create(new)
    report.append(tally.line("affiliations"))
    return by_email


def _write_events(events, report) -> dict[tuple[str, dt.date], Event]:
    names = [e.name for e in events]
    existing = {(e.name, e.start_date): e for e in Event.objects.filter(name__in=names)}
    countries = {
        c.iso3: c for c in Country.objects.filter(iso3__in={e.country for e in events})
    }
    tally, new = Tally(), []
    for e in events:
        if (e.name, e.start) in existing:
            tally["existing"] += 1
            continue
        new.append(
            Event(
                name=e.name,
                kind=e.kind,
                start_date=e.start,
                end_date=e.end,
                place=e.place,
                country=countries.get(e.country),
                website=e.website,
            )
        )
        tally["created"] += 1
    Event.objects.bulk_create(new)
    report.append(tally.line("events"))
    return {(e.name, e.start_date): e for e in Event.objects.filter(name__in=names)}


def _write_engagements(engagements, partners, people, users, events, report) -> None:
    keys = {(e.subject, e.date) for e in engagements}
    existing = (
        set(
            Engagement.objects.filter(subject__in={s for s, _ in keys}).values_list(
                "subject", "date"
            )
        )
        & keys
    )
    new = [e for e in engagements if (e.subject, e.date) not in existing]
    demo_history = Engagement.objects.filter(
        staff__username__in=[member.username for member in catalogue.staff()]
    ).exists()
    if new and demo_history:
        # The history is written once. Seeded on another day (or thinned out by
        # hand since), it stays as it is rather than gain a shifted copy.
        report.append(
            f"  engagements: 0 created, {len(existing)} existing (the demo history "
            "from an earlier run is kept as it is)"
        )
        return
    tally = Tally()
    tally["existing"] = len(engagements) - len(new)
    objects = [
        Engagement(
            date=e.date,
            kind=e.kind,
            subject=e.subject,
            summary=e.summary,
            outcome=e.outcome,
            event=events[e.event] if e.event else None,
            confidential=e.confidential,
            created_by=users[e.staff[0]],
        )
        for e in new
    ]
    Engagement.objects.bulk_create(objects)
    tally["created"] = len(objects)
    PartnerLink = Engagement.partners.through
    ContactLink = Engagement.contacts.through
    StaffLink = Engagement.staff.through
    PartnerLink.objects.bulk_create(
        [
            PartnerLink(engagement_id=obj.pk, partner_id=partners[code].pk)
            for obj, e in zip(objects, new, strict=True)
            for code in e.partners
        ]
    )
    ContactLink.objects.bulk_create(
        [
            ContactLink(engagement_id=obj.pk, contact_id=people[email].pk)
            for obj, e in zip(objects, new, strict=True)
            for email in dict.fromkeys(e.contacts)
        ]
    )
    StaffLink.objects.bulk_create(
        [
            StaffLink(engagement_id=obj.pk, user_id=users[username].pk)
            for obj, e in zip(objects, new, strict=True)
            for username in dict.fromkeys(e.staff)
        ]
    )
    followups = [
        FollowUp(
            engagement=obj,
            partner=partners[f.partner or e.partners[0]],
            description=f.description[:300],
            assignee=users[f.assignee],
            due_date=f.due,
            status=f.status,
            done_on=f.done_on,
        )
        for obj, e in zip(objects, new, strict=True)
        for f in e.followups
    ]
    FollowUp.objects.bulk_create(followups)
    report.append(tally.line("engagements"))
    report.append(f"  follow-ups on engagements: {len(followups)} created")


def _write_partner_followups(todos, partners, users, report) -> None:
    present = set(
        FollowUp.objects.filter(engagement__isnull=True).values_list(
            "partner__code", "description"
        )
    )
    tally, new = Tally(), []
    for f in todos:
        if (f.partner, f.description) in present:
            tally["existing"] += 1
            continue
        new.append(
            FollowUp(
                partner=partners[f.partner],
                description=f.description,
                assignee=users[f.assignee],
                due_date=f.due,
                status=f.status,
                done_on=f.done_on,
            )
        )
        tally["created"] += 1
    FollowUp.objects.bulk_create(new)
    report.append(tally.line("follow-ups on partners"))
