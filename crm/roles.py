"""The task force's roles as permission groups.

Each role is a list of permission rules: ``(app_label, model or "*", actions)``.
``setup_roles`` creates or updates the groups so they hold exactly these
permissions; it is idempotent and safe to run after every migration.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TASK_FORCE = "Task force"
FINANCE = "Finance"
VIEWER = "Viewer"
ADMINISTRATOR = "Administrator"

# The groups keep their English names (setup_roles, tests and scripts find
# them by name); readers see them in their language.
ROLE_NAMES = {
    TASK_FORCE: _("Task force"),
    FINANCE: _("Finance"),
    VIEWER: _("Viewer"),
    ADMINISTRATOR: _("Administrator"),
}


def role_name(group_name: str) -> str:
    """A group's name as the reader sees it: a role's in their language."""
    return str(ROLE_NAMES.get(group_name, group_name))


IMPORT_PERMISSION = "crm.import_data"
# Confidential engagements (and their follow-ups) are granted per person,
# never by role; granting is superuser-only (accounts.services).
CONFIDENTIAL_PERMISSION = "partners.view_confidential_engagement"
EXPORT_PERMISSION = "crm.export_data"

# Who printed and who exported what is an audit record: only Administrators
# read everyone's entries. Whoever may print still sees their own prints, to
# fetch background packs (``PrintLogAdmin``).
AUDIT_LOG_PERMISSIONS = ("view_printlog", "view_exportlog")

DOMAIN_APPS = ("crm", "partners", "pledges", "reports", "documents")
VIEW = ("view",)
EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

ROLES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    TASK_FORCE: [
        *[(app, "*", VIEW) for app in DOMAIN_APPS],
        ("auth", "user", VIEW),  # staff, owner and assignee autocompletes
        ("partners", "partner", EDIT),
        ("partners", "membership", EDIT),
        ("partners", "contact", EDIT),
        ("partners", "affiliation", ALL),
        ("partners", "event", EDIT),
        ("partners", "engagement", EDIT),
        ("partners", "followup", ALL),
        ("partners", "tag", EDIT),
        ("partners", "partneralias", ALL),
        # Merging duplicates and undoing a merge (the merge log).
        ("partners", "mergelog", ("merge",)),
        ("pledges", "pledge", EDIT),
        ("reports", "meeting", EDIT),
        # The partners a meeting covers and their asks: rows of the meeting.
        ("reports", "meetingpartner", ALL),
        ("reports", "*", ("print",)),
        ("documents", "document", ALL),
        ("crm", "importbatch", ("import_data", "export_data")),
    ],
    FINANCE: [
        *[(app, "*", VIEW) for app in DOMAIN_APPS],
        ("auth", "user", VIEW),
        ("pledges", "payment", ALL),
        ("pledges", "installment", ALL),
        ("crm", "exchangerate", ALL),
        # Remittance advices and receipts on the payments they record.
        ("documents", "document", ALL),
        ("crm", "importbatch", ("import_data", "export_data")),
    ],
    # Reads every list and record (not the print and export logs); no import,
    # export or print.
    VIEWER: [(app, "*", VIEW) for app in DOMAIN_APPS],
    ADMINISTRATOR: [
        *[(app, "*", ("*",)) for app in DOMAIN_APPS],
        ("auth", "*", ("*",)),
        # Sign-in records (django-axes): who signed in or failed, from where;
        # deleting an access attempt lifts a sign-in pause.
        ("axes", "*", ("view", "delete")),
    ],
}

DESCRIPTIONS = {
    TASK_FORCE: _(
        "Partners, contacts, engagements, follow-ups, pledges; imports, exports "
        "and prints"
    ),
    FINANCE: _(
        "Payments, installments and exchange rates; reads the rest; imports and exports"
    ),
    VIEWER: _(
        "Reads everything but the print and export logs, changes nothing; no "
        "export, no print"
    ),
    ADMINISTRATOR: _("Everything, including user management"),
}


def _rule_query(app: str, model: str, actions: tuple[str, ...]) -> Q:
    query = Q(content_type__app_label=app)
    if model != "*":
        query &= Q(content_type__model=model)
    if actions != ("*",):
        action_query = Q()
        for action in actions:
            if action in ("view", "add", "change", "delete"):
                action_query |= Q(codename__startswith=f"{action}_")
            else:
                action_query |= Q(codename__startswith=action)
        query &= action_query
    return query


def role_permissions(role: str) -> list[Permission]:
    query = Q(pk__in=[])
    for rule in ROLES[role]:
        query |= _rule_query(*rule)
    withheld = [CONFIDENTIAL_PERMISSION.split(".")[1]]
    if role != ADMINISTRATOR:
        withheld += AUDIT_LOG_PERMISSIONS
    return list(Permission.objects.filter(query).exclude(codename__in=withheld))


@transaction.atomic
def roles_setup() -> dict[str, int]:
    """Create or update every role group; returns permissions per group."""
    counts = {}
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        permissions = role_permissions(role)
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts
