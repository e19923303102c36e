"""Trigram indexes for the partner search, on PostgreSQL only.

The admin's search compares with ``icontains``, which Django writes on
PostgreSQL as ``UPPER(col::text) LIKE UPPER('%word%')``. A B-tree index cannot
serve a pattern with a leading ``%``; a GIN index with ``gin_trgm_ops`` on the
same expression can, so each index below is on exactly that expression.

The indexes are not part of the models' state: SQLite has no trigram indexes,
and its search scans tables that small installations keep small anyway. On
SQLite this migration does nothing.

``pg_trgm`` ships with PostgreSQL (the "contrib" modules) and is a trusted
extension since PostgreSQL 13, so the database owner may create it without
being a superuser. If it cannot be created the migration stops with a message
saying what to do, rather than carrying on without the indexes: a migration
recorded as applied is never run again, and the search would stay a scan of
every partner and contact for good.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, migrations

# index name: (table, column)
INDEXES = {
    "partners_partner_name_trgm": ("partners_partner", "name"),
    "partners_partner_name_fr_trgm": ("partners_partner", "name_fr"),
    "partners_partner_short_name_trgm": ("partners_partner", "short_name"),
    "partners_partner_code_trgm": ("partners_partner", "code"),
    "partners_contact_email_trgm": ("partners_contact", "email"),
}

MISSING_EXTENSION = (
    "The partner search needs the PostgreSQL extension pg_trgm, which could "
    "not be created. Ask a superuser or the database owner to run "
    '"CREATE EXTENSION pg_trgm;" in this database (the extension comes with '
    'PostgreSQL; some systems package it apart, as "postgresql-contrib"), '
    'then run migrate again. See README, "Serving in production". '
    "PostgreSQL said: {error}"
)


def create_extension(schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as error:
            raise ImproperlyConfigured(MISSING_EXTENSION.format(error=error)) from error


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    create_extension(schema_editor)
    quote = schema_editor.quote_name
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )
    # The planner knows how many rows a pattern matches only from statistics
    # on the indexed expressions, which ANALYZE gathers.
    for table in sorted({table for table, _column in INDEXES.values()}):
        schema_editor.execute(f"ANALYZE {quote(table)}")


def drop_indexes(apps, schema_editor) -> None:
    # The extension stays: other objects may use it, and dropping it needs
    # the same privilege as creating it.
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_history"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
