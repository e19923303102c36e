"""The OpenAPI schema and the docs, served from the app with no CDN."""

from __future__ import annotations

import re

import pytest
import yaml

from crm.roles import VIEWER

pytestmark = pytest.mark.django_db


def test_the_schema_lists_every_endpoint_and_the_upserts(api_as):
    response = api_as(VIEWER).get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/partners/",
        "/api/v1/engagements/{id}/",
        "/api/v1/payments/by-ref/{source}/{external_id}/",
        "/api/v1/pledges/by-ref/{source}/{external_id}/",
        "/api/v1/partners/by-code/{code}/",
        "/api/v1/payments/bulk/",
        "/api/v1/countries/{iso3}/",
    ):
        assert path in paths
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_the_docs_page_loads_everything_from_this_site(client, role_user):
    client.force_login(role_user(VIEWER))
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources)
    # No inline script or style: the CSP refuses them.
    assert "<script>" not in html
    assert "<style>" not in html


def test_the_schema_needs_credentials(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/schema/").status_code == 401
