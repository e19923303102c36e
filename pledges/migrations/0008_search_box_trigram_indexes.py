"""Trigram indexes for pledges in the search box (``crm.search``), PostgreSQL only.

Pledges by title and references: the box compares with ``icontains`` (``UPPER(col::text) LIKE UPPER('%word%')``),
which only a GIN ``gin_trgm_ops`` index on that expression serves. pg_trgm
was created by ``partners.0004``. On SQLite this migration does nothing.
"""

from django.db import migrations

# index name: (table, column)
INDEXES = {
    "pledges_pledge_title_trgm": ("pledges_pledge", "title"),
    "pledges_pledge_agreement_reference_trgm": ("pledges_pledge", "agreement_reference"),
    "pledges_pledge_external_id_trgm": ("pledges_pledge", "external_id"),
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
        ("pledges", "0007_french_names"),
        ("partners", "0008_search_box_trigram_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
