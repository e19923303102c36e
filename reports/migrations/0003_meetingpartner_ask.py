"""Meeting.partners goes through MeetingPartner, which adds the ask per partner.

The through model takes over the automatic many-to-many table as it stands
(same table, same columns), so existing meetings keep their partners; only the
ask column is new.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("reports", "0002_meeting_engagements"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MeetingPartner",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="reports.meeting",
                                verbose_name="meeting",
                            ),
                        ),
                        (
                            "partner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="partners.partner",
                                verbose_name="partner",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "partner covered",
                        "verbose_name_plural": "partners covered",
                        "db_table": "reports_meeting_partners",
                        "unique_together": {("meeting", "partner")},
                    },
                ),
                migrations.AlterField(
                    model_name="meeting",
                    name="partners",
                    field=models.ManyToManyField(
                        help_text="The pack holds one brief for each of these partners.",
                        related_name="meetings",
                        through="reports.MeetingPartner",
                        to="partners.partner",
                        verbose_name="partners covered",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="meetingpartner",
            name="ask",
            field=models.TextField(
                blank=True,
                help_text=(
                    "What this meeting should obtain from the partner. Left empty, "
                    "the pack prints the default drawn from open pledges and "
                    "follow-ups."
                ),
                verbose_name="the ask",
            ),
        ),
    ]
