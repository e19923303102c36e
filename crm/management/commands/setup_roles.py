from django.core.management.base import BaseCommand

from crm.roles import roles_setup


class Command(BaseCommand):
    help = "Create or update the Task force, Finance, Viewer and Administrator groups."

    def handle(self, *args, **options) -> None:
        for role, count in roles_setup().items():
            self.stdout.write(f"{role}: {count} permissions")
