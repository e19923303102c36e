# The starter set of Decision 5 levers. Editable in the admin afterwards; this
# migration only adds the levers whose codes are missing and never overwrites.

from django.db import migrations

LEVERS = [
    (
        "membership",
        "Membership and contributory units",
        "Member State and Sector Member contributions: more units, new members, "
        "higher classes of contribution.",
    ),
    (
        "unearmarked",
        "Unearmarked voluntary contributions",
        "Voluntary contributions the organisation may use where it needs them most.",
    ),
    (
        "earmarked",
        "Earmarked projects and trust funds",
        "Contributions tied to a project, a programme, a region or a trust fund.",
    ),
    (
        "private-sector",
        "Private-sector partnerships and sponsorship",
        "Partnerships with companies, beyond their ITU membership.",
    ),
    (
        "flagship-events",
        "Flagship-event sponsorship",
        "Sponsorship of AI for Good, WSIS Forum, Girls in ICT Day and other events.",
    ),
    (
        "in-kind",
        "In-kind contributions and secondments",
        "Experts on loan, hosted events, equipment and services.",
    ),
    (
        "partner2connect",
        "Partner2Connect pledges",
        "Pledges to the Partner2Connect Digital Coalition for meaningful "
        "connectivity.",
    ),
]


def add_levers(apps, schema_editor):
    Lever = apps.get_model("pledges", "Lever")
    for position, (code, name, description) in enumerate(LEVERS, start=1):
        Lever.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_levers, migrations.RunPython.noop),
    ]
