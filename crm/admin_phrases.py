"""Django admin's sentences about a model, in French that agrees with the noun.

Django pastes the model's name into fixed sentences ("Add %s", "Select %s to
change", "Add another %(verbose_name)s", "The {name} “{obj}” was added
successfully."), which French cannot do without the noun's article and
agreement: "Ajouter un échange", "Sélectionnez l'annonce de contribution à
modifier", "Supprimer les annonces de contributions sélectionnées".

This module is the one place for it. Each of those sentences is in our
catalogue four times, under a grammatical context (masculine or feminine,
before a consonant or a vowel), with Django's own English as the msgid, so
English reads exactly as Django writes it. The gender of each model's French
name is declared below (a test checks every registered model is there); the
elision follows from the name's first letter. ``CRMAdminSite.register`` gives
every ModelAdmin the ``ModelPhrasesMixin``, which puts the sentences in the
admin's titles, buttons, actions, inline "add another" links and messages.
"""

from __future__ import annotations

import dataclasses
import json
import re

from django.contrib.admin.options import Action, ActionLocation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import (
    gettext,
    gettext_noop,
    ngettext_lazy,
    pgettext_lazy,
)

MASCULINE = "masculine noun"
FEMININE = "feminine noun"
MASCULINE_ELIDED = "masculine noun before a vowel"
FEMININE_ELIDED = "feminine noun before a vowel"

# Models whose French name is feminine ("annonce", "réunion", "échéance").
# Every other registered model is listed as masculine, so that a new model is
# a deliberate choice (tests/crm/test_admin_phrases.py).
FEMININE_MODELS = frozenset(
    {
        "axes.accessattempt",
        "axes.accesslog",
        "crm.countryalias",
        "crm.exportlog",
        "crm.savedview",
        "partners.membership",
        "partners.mergelog",
        "partners.tag",
        "partners.unitvalue",
        "pledges.installment",
        "pledges.pledge",
        "pledges.pledgereduction",
        "reports.meeting",
        "reports.printlog",
    }
)
MASCULINE_MODELS = frozenset(
    {
        "api.apitoken",
        "auth.group",
        "auth.user",
        "axes.accessfailurelog",
        "crm.country",
        "crm.exchangerate",
        "crm.importbatch",
        "django_tasks_database.dbtaskresult",
        "documents.document",
        "outreach.digestsend",
        "partners.affiliation",
        "partners.contact",
        "partners.engagement",
        "partners.event",
        "partners.followup",
        "partners.partner",
        "partners.partneralias",
        "pledges.lever",
        "pledges.payment",
        "pledges.target",
    }
)

# Django's sentence -> its four forms (masculine, feminine, elided m., elided f.).
PHRASES = {
    "Add %s": (
        pgettext_lazy("masculine noun", "Add %s"),
        pgettext_lazy("feminine noun", "Add %s"),
        pgettext_lazy("masculine noun before a vowel", "Add %s"),
        pgettext_lazy("feminine noun before a vowel", "Add %s"),
    ),
    "Change %s": (
        pgettext_lazy("masculine noun", "Change %s"),
        pgettext_lazy("feminine noun", "Change %s"),
        pgettext_lazy("masculine noun before a vowel", "Change %s"),
        pgettext_lazy("feminine noun before a vowel", "Change %s"),
    ),
    "View %s": (
        pgettext_lazy("masculine noun", "View %s"),
        pgettext_lazy("feminine noun", "View %s"),
        pgettext_lazy("masculine noun before a vowel", "View %s"),
        pgettext_lazy("feminine noun before a vowel", "View %s"),
    ),
    "Select %s": (
        pgettext_lazy("masculine noun", "Select %s"),
        pgettext_lazy("feminine noun", "Select %s"),
        pgettext_lazy("masculine noun before a vowel", "Select %s"),
        pgettext_lazy("feminine noun before a vowel", "Select %s"),
    ),
    "Select %s to change": (
        pgettext_lazy("masculine noun", "Select %s to change"),
        pgettext_lazy("feminine noun", "Select %s to change"),
        pgettext_lazy("masculine noun before a vowel", "Select %s to change"),
        pgettext_lazy("feminine noun before a vowel", "Select %s to change"),
    ),
    "Select %s to view": (
        pgettext_lazy("masculine noun", "Select %s to view"),
        pgettext_lazy("feminine noun", "Select %s to view"),
        pgettext_lazy("masculine noun before a vowel", "Select %s to view"),
        pgettext_lazy("feminine noun before a vowel", "Select %s to view"),
    ),
    "Add %(name)s": (
        pgettext_lazy("masculine noun", "Add %(name)s"),
        pgettext_lazy("feminine noun", "Add %(name)s"),
        pgettext_lazy("masculine noun before a vowel", "Add %(name)s"),
        pgettext_lazy("feminine noun before a vowel", "Add %(name)s"),
    ),
    "Add another %(verbose_name)s": (
        pgettext_lazy("masculine noun", "Add another %(verbose_name)s"),
        pgettext_lazy("feminine noun", "Add another %(verbose_name)s"),
        pgettext_lazy("masculine noun before a vowel", "Add another %(verbose_name)s"),
        pgettext_lazy("feminine noun before a vowel", "Add another %(verbose_name)s"),
    ),
    "Delete selected %(verbose_name_plural)s": (
        pgettext_lazy("masculine noun", "Delete selected %(verbose_name_plural)s"),
        pgettext_lazy("feminine noun", "Delete selected %(verbose_name_plural)s"),
        pgettext_lazy(
            "masculine noun before a vowel", "Delete selected %(verbose_name_plural)s"
        ),
        pgettext_lazy(
            "feminine noun before a vowel", "Delete selected %(verbose_name_plural)s"
        ),
    ),
    "The {name} “{obj}” was added successfully.": (
        pgettext_lazy("masculine noun", "The {name} “{obj}” was added successfully."),
        pgettext_lazy("feminine noun", "The {name} “{obj}” was added successfully."),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The {name} “{obj}” was added successfully.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel", "The {name} “{obj}” was added successfully."
        ),
    ),
    "The {name} “{obj}” was added successfully. You may edit it again below.": (
        pgettext_lazy(
            "masculine noun",
            "The {name} “{obj}” was added successfully. You may edit it again below.",
        ),
        pgettext_lazy(
            "feminine noun",
            "The {name} “{obj}” was added successfully. You may edit it again below.",
        ),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The {name} “{obj}” was added successfully. You may edit it again below.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel",
            "The {name} “{obj}” was added successfully. You may edit it again below.",
        ),
    ),
    "The {name} “{obj}” was added successfully. You may add another {name} below.": (
        pgettext_lazy(
            "masculine noun",
            "The {name} “{obj}” was added successfully. "
            "You may add another {name} below.",
        ),
        pgettext_lazy(
            "feminine noun",
            "The {name} “{obj}” was added successfully. "
            "You may add another {name} below.",
        ),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The {name} “{obj}” was added successfully. "
            "You may add another {name} below.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel",
            "The {name} “{obj}” was added successfully. "
            "You may add another {name} below.",
        ),
    ),
    "The {name} “{obj}” was changed successfully.": (
        pgettext_lazy("masculine noun", "The {name} “{obj}” was changed successfully."),
        pgettext_lazy("feminine noun", "The {name} “{obj}” was changed successfully."),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The {name} “{obj}” was changed successfully.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel",
            "The {name} “{obj}” was changed successfully.",
        ),
    ),
    "The {name} “{obj}” was changed successfully. You may edit it again below.": (
        pgettext_lazy(
            "masculine noun",
            "The {name} “{obj}” was changed successfully. You may edit it again below.",
        ),
        pgettext_lazy(
            "feminine noun",
            "The {name} “{obj}” was changed successfully. You may edit it again below.",
        ),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The {name} “{obj}” was changed successfully. You may edit it again below.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel",
            "The {name} “{obj}” was changed successfully. You may edit it again below.",
        ),
    ),
    "The {name} “{obj}” was changed successfully. You may add another {name} below.": (
        pgettext_lazy(
            "masculine noun",
            "The {name} “{obj}” was changed successfully. "
            "You may add another {name} below.",
        ),
        pgettext_lazy(
            "feminine noun",
            "The {name} “{obj}” was changed successfully. "
            "You may add another {name} below.",
        ),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The {name} “{obj}” was changed successfully. "
            "You may add another {name} below.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel",
            "The {name} “{obj}” was changed successfully. "
            "You may add another {name} below.",
        ),
    ),
    "The %(name)s “%(obj)s” was deleted successfully.": (
        pgettext_lazy(
            "masculine noun", "The %(name)s “%(obj)s” was deleted successfully."
        ),
        pgettext_lazy(
            "feminine noun", "The %(name)s “%(obj)s” was deleted successfully."
        ),
        pgettext_lazy(
            "masculine noun before a vowel",
            "The %(name)s “%(obj)s” was deleted successfully.",
        ),
        pgettext_lazy(
            "feminine noun before a vowel",
            "The %(name)s “%(obj)s” was deleted successfully.",
        ),
    ),
}

# Django's sentences that French can word without agreeing with the model
# ("Supprimer la sélection (annonces de contributions) ?"): listed here so our
# catalogue keeps them, and its wording wins over Django's "l'objet %s".
NEUTRAL = [
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Added {name} “{object}”."),
    gettext_noop("Changed {fields} for {name} “{object}”."),
    gettext_noop("Deleted {name} “{object}”."),
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    ngettext_lazy(
        "%(count)s %(name)s was changed successfully.",
        "%(count)s %(name)s were changed successfully.",
    ),
    gettext_noop(
        "Deleting %(class_name)s %(instance)s would require deleting the following "
        "protected related objects: %(related_objects)s"
    ),
    gettext_noop("Select all %(total_count)s %(module_name)s"),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would result in deleting "
        "related objects, but your account doesn't have permission to delete the "
        "following types of objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting "
        "the following protected related objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s "
        "“%(escaped_object)s”? All of the following related items will be deleted:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would result in deleting related "
        "objects, but your account doesn't have permission to delete the following "
        "types of objects:"
    ),
    gettext_noop(
        "Deleting the selected %(objects_name)s would require deleting the "
        "following protected related objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the selected %(objects_name)s? All of the "
        "following objects and their related items will be deleted:"
    ),
]

_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûüœæh")


def grammatical_context(model, name) -> str:
    """The catalogue context for sentences about ``model`` called ``name``."""
    feminine = model._meta.label_lower in FEMININE_MODELS
    elided = str(name)[:1].lower() in _VOWELS
    if elided:
        return FEMININE_ELIDED if feminine else MASCULINE_ELIDED
    return FEMININE if feminine else MASCULINE


def model_phrase(sentence: str, model, name=None) -> str:
    """Django's ``sentence`` about ``model`` in the active language, unformatted.

    ``name`` is the noun the sentence will hold (the model's verbose name by
    default; an inline may call its rows otherwise).
    """
    name = model._meta.verbose_name if name is None else name
    forms = PHRASES[sentence]
    context = grammatical_context(model, name)
    return str(
        forms[(MASCULINE, FEMININE, MASCULINE_ELIDED, FEMININE_ELIDED).index(context)]
    )


def _pattern(sentence: str, name: str) -> re.Pattern:
    """A regular expression matching Django's translated ``sentence`` about ``name``."""
    parts = re.split(r"(\{name\}|\{obj\}|%\(name\)s|%\(obj\)s)", gettext(sentence))
    regex = ""
    for part in parts:
        if part in ("{name}", "%(name)s"):
            regex += re.escape(str(name))
        elif part in ("{obj}", "%(obj)s"):
            regex += "(?P<obj>.*)"
        else:
            regex += re.escape(part)
    return re.compile(regex, re.DOTALL)


_MESSAGES = [s for s in PHRASES if s.startswith("The ")]


def rewrite_message(message, model):
    """Django's success message about ``model``, agreeing; other messages unchanged."""
    name = model._meta.verbose_name
    text = str(message)
    # format_html wrote the name escaped ("réduction d&#x27;annonce").
    written = conditional_escape(name) if isinstance(message, SafeString) else name
    for sentence in sorted(_MESSAGES, key=len, reverse=True):
        match = _pattern(sentence, written).fullmatch(text)
        if not match:
            continue
        phrase = model_phrase(sentence, model)
        if isinstance(message, SafeString):
            return format_html(phrase, name=name, obj=mark_safe(match["obj"]))
        return phrase % {"name": name, "obj": match["obj"]}
    return message


class ModelPhrasesMixin:
    """Puts the agreeing sentences in a ModelAdmin's pages (see the module)."""

    def _retitle(self, response, defaults: list[str]):
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        name = self.opts.verbose_name
        for sentence in defaults:
            if context.get("title") == gettext(sentence) % name:
                context["title"] = model_phrase(sentence, self.model) % name
        context["add_label"] = model_phrase("Add %(name)s", self.model) % {"name": name}
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        return self._retitle(
            response, ["Select %s", "Select %s to change", "Select %s to view"]
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        return self._retitle(response, ["Add %s", "Change %s", "View %s"])

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        delete = actions.get("delete_selected")
        if isinstance(delete, Action):
            # get_action_choices fills in %(verbose_name_plural)s.
            sentence = model_phrase(
                "Delete selected %(verbose_name_plural)s", self.model
            )
            actions["delete_selected"] = dataclasses.replace(
                delete, description=sentence, plural_description=sentence
            )
        return actions

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(
            request, formsets, inline_instances, obj
        )
        for inline_formset in inline_formsets:
            inline = inline_formset.opts
            text = model_phrase(
                "Add another %(verbose_name)s", inline.model, inline.verbose_name
            ) % {"verbose_name": inline.verbose_name}
            inline_formset.inline_formset_data = _with_add_text(
                inline_formset.inline_formset_data, text
            )
        return inline_formsets

    def message_user(self, request, message, *args, **kwargs):
        return super().message_user(
            request, rewrite_message(message, self.model), *args, **kwargs
        )


def _with_add_text(inline_formset_data, text: str):
    def data() -> str:
        value = json.loads(inline_formset_data())
        value["options"]["addText"] = text
        return json.dumps(value)

    return data
