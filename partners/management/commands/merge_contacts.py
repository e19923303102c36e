from partners.management.commands import merge_partners
from partners.merge import contact_merge
from partners.models import Contact


class Command(merge_partners.Command):
    help = (
        "Merge contacts into the first one given: affiliations, engagements and "
        "meetings move to it. Undo with undo_merge."
    )
    model = Contact

    def merge(self, **kwargs):
        return contact_merge(**kwargs)
