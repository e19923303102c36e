"""Refuse to delete a partner whose engagement history would go with it.

Engagements link to partners through a many-to-many table, which Django would
clear silently on delete; memberships are protected by their foreign key.
"""

from __future__ import annotations

from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from partners.models import Partner


@receiver(pre_delete, sender=Partner)
def protect_partner_history(sender, instance: Partner, **kwargs) -> None:
    engagements = instance.engagements.all()
    if engagements.exists():
        raise ProtectedError(
            _(
                "Cannot delete %(partner)s: %(count)d engagements are logged with it. "
                "Mark the partner inactive instead."
            )
            % {"partner": instance, "count": engagements.count()},
            set(engagements),
        )
