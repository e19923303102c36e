"""Documents follow their record: its confidentiality, and its deletion."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from documents.models import Document
from documents.services import DOCUMENT_MODELS
from partners.models import Engagement


@receiver(post_save, sender=Engagement)
def engagement_made_confidential(sender, instance: Engagement, **kwargs) -> None:
    if instance.confidential:
        for document in Document.objects.of(instance).filter(confidential=False):
            # One by one, so that each change has its history version.
            document.confidential = True
            document.save(update_fields=["confidential"])


@receiver(post_delete)
def record_deleted(sender, instance, **kwargs) -> None:
    if sender._meta.label_lower in DOCUMENT_MODELS:
        for document in Document.objects.of(instance):
            document.delete()


@receiver(post_delete, sender=Document)
def document_deleted(sender, instance: Document, **kwargs) -> None:
    # The file goes once the deletion is committed; a rolled back deletion
    # keeps it.
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
