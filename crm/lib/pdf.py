"""Render a Django template to PDF with WeasyPrint.

Templates carry their own CSS; fonts come from fontconfig (Debian
``fonts-noto-core`` and ``fonts-noto-cjk`` cover every UN language). The URL
fetcher accepts ``data:`` URIs only, so a document can never reach the network
or the file system, whatever a template or a user's text contains.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string

PDF_CONTENT_TYPE = "application/pdf"

# WeasyPrint logs every page it lays out at INFO; a server log has no use for it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int
    # The 0-based page of each element id, for contents laid out elsewhere.
    anchors: dict[str, int] = field(default_factory=dict)


def html_to_pdf(html: str) -> RenderedPdf:
    """Lay out ``html`` and return the PDF with its page count."""
    # Imported here: WeasyPrint loads Pango and fonts, which a web process that
    # never prints should not pay for at start-up.
    from weasyprint import HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=False)
    document = HTML(string=html, url_fetcher=fetcher).render()
    anchors = {
        name: number
        for number, page in reversed(list(enumerate(document.pages)))
        for name in page.anchors
    }
    return RenderedPdf(
        content=document.write_pdf(), pages=len(document.pages), anchors=anchors
    )


def render_pdf_document(template_name: str, context: dict[str, Any]) -> RenderedPdf:
    return html_to_pdf(render_to_string(template_name, context))
