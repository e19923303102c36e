"""History rows for what an import wrote, tied to its batch.

Imports write in bulk (``bulk_create``, ``bulk_update``, an ``executemany``
INSERT), which sends no ``post_save`` signal, so django-simple-history records
nothing by itself. After the writes, one ``INSERT ... SELECT`` per audited
model copies every row the batch touched into its history table: "+" for a
row seen for the first time, "~" for one that had history already, the
batch's user, and the reason "import batch N". Rows saved one by one during
the import (payments through ``pledges.services``) got their history from the
signal; they are given the batch's reason and user instead of a second row.
A model whose history keeps many-to-many links (an engagement's partners,
contacts and staff) gets them copied beside each row inserted, as
django-simple-history does for a row it writes itself.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db import connections, router
from django.utils import timezone


def batch_reason(batch) -> str:
    return f"import batch {batch.pk}"


def audited_models() -> list:
    """Models with history and an ``import_batch`` field."""
    found = []
    for model in apps.get_models():
        history = getattr(model._meta, "simple_history_manager_attribute", None)
        if not history or model._meta.proxy:
            continue
        if any(f.name == "import_batch" for f in model._meta.concrete_fields):
            found.append(model)
    return found


def batch_record_history(*, batch, started: dt.datetime) -> int:
    """Write the history rows of everything ``batch`` wrote; returns how many."""
    total = 0
    for model in audited_models():
        total += _record(model, batch, started)
    return total


def _record(model, batch, started: dt.datetime) -> int:
    history = getattr(model, model._meta.simple_history_manager_attribute).model
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    table, hist_table = qn(model._meta.db_table), qn(history._meta.db_table)
    pk = qn(model._meta.pk.column)
    hist_pk = qn(history._meta.get_field(model._meta.pk.name).column)
    batch_column = qn(model._meta.get_field("import_batch").column)
    reason = batch_reason(batch)
    now = history._meta.get_field("history_date").get_db_prep_save(
        timezone.now(), connection
    )
    since = history._meta.get_field("history_date").get_db_prep_save(
        started, connection
    )
    pairs = [
        (qn(history._meta.get_field(f.name).column), qn(f.column))
        for f in model._meta.concrete_fields
    ]
    with connection.cursor() as cursor:
        # Rows saved one by one during the import: tag their signal-made rows.
        cursor.execute(
            f"UPDATE {hist_table} SET history_change_reason = %s, "
            f"history_user_id = %s WHERE history_change_reason IS NULL "
            f"AND history_date >= %s AND {hist_pk} IN "
            f"(SELECT {pk} FROM {table} WHERE {batch_column} = %s)",
            [reason, batch.user_id, since, batch.pk],
        )
        cursor.execute(
            f"INSERT INTO {hist_table} "
            f"({', '.join(h for h, _c in pairs)}, history_date, "
            f"history_change_reason, history_type, history_user_id) "
            f"SELECT {', '.join(f't.{c}' for _h, c in pairs)}, %s, %s, "
            f"CASE WHEN EXISTS (SELECT 1 FROM {hist_table} h "
            f"WHERE h.{hist_pk} = t.{pk}) THEN '~' ELSE '+' END, %s "
            f"FROM {table} t WHERE t.{batch_column} = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {hist_table} h WHERE h.{hist_pk} = t.{pk} "
            f"AND h.history_change_reason = %s)",
            [now, reason, batch.user_id, batch.pk, reason],
        )
        written = cursor.rowcount
        for field in history._history_m2m_fields:
            _record_links(cursor, connection, history, field, now, reason)
        return written


def _record_links(cursor, connection, history, field, now, reason) -> None:
    """Copy ``field``'s links of the rows just inserted into its history table."""
    qn = connection.ops.quote_name
    through = field.remote_field.through
    links = getattr(history, field.name).model
    source = qn(through._meta.get_field(field.m2m_field_name()).column)
    hist_pk = qn(history._meta.get_field(field.model._meta.pk.name).column)
    version = qn(history._meta.pk.column)
    pairs = [
        (qn(links._meta.get_field(f.name).column), qn(f.column))
        for f in through._meta.concrete_fields
    ]
    cursor.execute(
        f"INSERT INTO {qn(links._meta.db_table)} "
        f"({', '.join(h for h, _c in pairs)}, "
        f"{qn(links._meta.get_field('history').column)}) "
        f"SELECT {', '.join(f'l.{c}' for _h, c in pairs)}, h.{version} "
        f"FROM {qn(through._meta.db_table)} l "
        f"JOIN {qn(history._meta.db_table)} h ON h.{hist_pk} = l.{source} "
        f"WHERE h.history_date = %s AND h.history_change_reason = %s",
        [now, reason],
    )
