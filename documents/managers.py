from __future__ import annotations

from django.db import models

from partners.managers import sees_confidential


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DocumentQuerySet:
        """Hide confidential documents from users without the permission."""
        if sees_confidential(user):
            return self
        return self.filter(confidential=False)

    def of(self, obj: models.Model) -> DocumentQuerySet:
        from django.contrib.contenttypes.models import ContentType

        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
