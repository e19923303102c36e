"""Refuse to delete a partner whose engagement history would go with it.

``Partner.delete()`` checks first; this handler covers bulk deletes
(``QuerySet.delete()``), which do not call the model method.
"""

from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from partners.models import Partner


@receiver(pre_delete, sender=Partner)
def protect_partner_history(sender, instance: Partner, **kwargs) -> None:
    instance.check_deletable()
