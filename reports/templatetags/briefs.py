"""Filters for printed briefs: CSS strings, page counters.

Amounts use ``crm_formats`` (``crm.lib.formats``), the one home of money formats.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def _css_escape(text: str) -> str:
    out = []
    for char in str(text):
        if char in '"\\<>&' or ord(char) < 32:
            # CSS hex escape; the trailing space ends it.
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return "".join(out)


@register.filter
def css_string(value) -> SafeString:
    """Quote ``value`` as a CSS string, safe inside a <style> element."""
    return mark_safe(f'"{_css_escape(value)}"')  # escaped above


@register.simple_tag
def page_number_content() -> SafeString:
    """CSS ``content`` for "Page X", for a pack laid out in parts.

    A part cannot know the pack's page count when it is laid out; the cover
    gives it instead.
    """
    before, _sep, after = _("Page %(page)s").partition("%(page)s")
    pieces = [f'"{_css_escape(before)}"'] if before else []
    pieces.append("counter(page)")
    if after:
        pieces.append(f'"{_css_escape(after)}"')
    return mark_safe(" ".join(pieces))  # escaped above


@register.filter
def page_of(part, anchor: str) -> SafeString:
    """``class`` and ``data-page`` attributes giving the page of ``anchor``.

    A pack laid out in parts links nowhere: its sections are in other parts.
    """
    return format_html(
        'class="known-page" data-page="{}"', part.pages_of.get(anchor, "")
    )


@register.simple_tag
def page_counter_content() -> SafeString:
    """CSS ``content`` for "Page X of Y" in the active language."""
    text = _("Page %(page)s of %(pages)s")
    pieces = []
    rest = text
    for name in ("page", "pages"):
        marker = f"%({name})s"
        before, _sep, rest = rest.partition(marker)
        if before:
            pieces.append(f'"{_css_escape(before)}"')
        pieces.append(f"counter({name})")
    if rest:
        pieces.append(f'"{_css_escape(rest)}"')
    return mark_safe(" ".join(pieces))  # escaped above
