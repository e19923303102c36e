"""Trigram indexes for the CRM-wide search box (``crm.search``), PostgreSQL only.

Contacts by name, engagements by subject and summary, events by name: the
box compares with ``icontains`` (``UPPER(col::text) LIKE UPPER('%word%')``),
which only a GIN ``gin_trgm_ops`` index on that expression serves. pg_trgm
was created by ``partners.0004``. On SQLite this migration does nothing.
"""

from django.db import migrations

# index name: (table, column)
INDEXES = {
    "partners_contact_first_name_trgm": ("partners_contact", "first_name"),
    "partners_contact_last_name_trgm": ("partners_contact", "last_name"),
    "partners_engagement_subject_trgm": ("partners_engagement", "subject"),
    "partners_engagement_summary_trgm": ("partners_engagement", "summary"),
    "partners_event_name_trgm": ("partners_event", "name"),
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )
    for table in sorted({table for table, _column in INDEXES.values()}):
        schema_editor.execute(f"ANALYZE {quote(table)}")


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0007_french_names"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
