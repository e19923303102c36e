"""Create-or-update by external reference, one record or many.

Another system (the ERP, the membership database) pushes its records with
its own key: ``(external_source, external_id)`` for pledges and payments, the
partner code for partners. The same payload twice gives "unchanged" and
writes nothing. Records are validated and written by the endpoints'
serializers, hence by the same services and ``full_clean`` as the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from api.problems import django_errors, entry, field_errors

NEW = "new"
UPDATED = "updated"
UNCHANGED = "unchanged"
ERROR = "error"
OUTCOMES = (NEW, UPDATED, UNCHANGED, ERROR)


@dataclass
class Outcome:
    outcome: str
    key: dict
    instance: object = None
    errors: list[dict] = field(default_factory=list)

    def as_dict(self, index: int | None = None) -> dict:
        row = {"outcome": self.outcome, **self.key}
        if index is not None:
            row = {"index": index, **row}
        if self.instance is not None:
            row["id"] = self.instance.pk
        if self.errors:
            row["errors"] = self.errors
        return row


def _differs(instance, data: dict) -> bool:
    for name, value in data.items():
        current = getattr(instance, name)
        if hasattr(current, "all"):  # many-to-many
            if {o.pk for o in current.all()} != {o.pk for o in value}:
                return True
        elif current != value:
            return True
    return False


def upsert(*, serializer_class, key: dict, data: dict, context: dict) -> Outcome:
    """Create or update the record ``key`` names with ``data``, atomically.

    Errors come back in the outcome (``field``, ``value``, ``message``);
    nothing is written for a record that has any.
    """
    model = serializer_class.Meta.model
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in key}
    instance = model.objects.filter(**key).first()
    serializer = serializer_class(instance, data=data, context=context)
    if not serializer.is_valid():
        return Outcome(ERROR, key, errors=field_errors(serializer.errors, data))
    if instance is not None and not _differs(instance, serializer.validated_data):
        return Outcome(UNCHANGED, key, instance)
    try:
        with transaction.atomic():
            saved = serializer.save(**({} if instance is not None else key))
    except DjangoValidationError as error:
        return Outcome(ERROR, key, errors=field_errors(django_errors(error), data))
    except serializers.ValidationError as error:
        return Outcome(ERROR, key, errors=field_errors(error.detail, data))
    except IntegrityError as error:
        message = str(error).splitlines()[0]
        return Outcome(ERROR, key, errors=[entry("", None, message)])
    return Outcome(UPDATED if instance is not None else NEW, key, saved)
