"""``{% save_view_url %}``: the "Save this view" address of the page being read."""

from __future__ import annotations

from django import template

from crm.saved_views import save_view_url as _save_view_url

register = template.Library()


@register.simple_tag(takes_context=True)
def save_view_url(context) -> str:
    request = context.get("request")
    return _save_view_url(request) if request is not None else ""
