"""The admin's permission matrix, asked of every API endpoint and method.

Endpoints come from the router, so a new one is checked without being
listed here; each must have a row in the admin's matrix
(``tests/crm/test_permission_matrix.py``), which says what each role may do.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from api.urls import router
from tests.api.conftest import ROLES, client_for, make_token
from tests.crm.test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db

ENDPOINTS = [(prefix, viewset) for prefix, viewset, _basename in router.registry]
ALLOWED_ANSWERS = {200, 201, 204, 400, 409}


def label_of(viewset) -> str:
    return viewset.serializer_class.Meta.model._meta.label_lower


def record_of(world: dict, viewset):
    model = viewset.serializer_class.Meta.model
    return next(v for v in world.values() if type(v) is model)


def detail_url(prefix: str, viewset, obj) -> str:
    lookup = getattr(viewset, "lookup_field", "pk")
    return f"/api/v1/{prefix}/{getattr(obj, lookup)}/"


def test_every_endpoint_has_a_row_in_the_admin_matrix():
    assert {label_of(v) for _p, v in ENDPOINTS} <= set(MATRIX)
    assert len(ENDPOINTS) >= 15


def expected(allowed: str, letter: str, supported: bool) -> str:
    if letter not in allowed:
        return "403"
    return "ok" if supported else "405"


def answer(status: int) -> str:
    return "ok" if status in ALLOWED_ANSWERS else str(status)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS]
)
def test_each_role_gets_the_admins_answer_on_each_method(
    api_as, world, role, prefix, viewset
):
    client = api_as(role)
    allowed = MATRIX[label_of(viewset)][ROLES.index(role)]
    obj = record_of(world, viewset)
    writable = "create" in dir(viewset)
    got, want = {}, {}
    for method, url, letter, supported in (
        ("get", f"/api/v1/{prefix}/", "v", True),
        ("get", detail_url(prefix, viewset, obj), "v", True),
        ("post", f"/api/v1/{prefix}/", "a", writable),
        ("patch", detail_url(prefix, viewset, obj), "c", writable),
        ("delete", detail_url(prefix, viewset, obj), "d", writable),
    ):
        response = getattr(client, method)(url, {}, format="json")
        got[method, url] = answer(response.status_code)
        want[method, url] = expected(allowed, letter, supported)
    assert got == want


@pytest.mark.parametrize(
    ("prefix", "viewset"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS]
)
def test_every_endpoint_refuses_a_request_without_credentials(world, prefix, viewset):
    response = APIClient().get(f"/api/v1/{prefix}/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


UPSERTS = {
    "payments": ("/api/v1/payments/by-ref/erp/R-9/", "pledges.payment"),
    "pledges": ("/api/v1/pledges/by-ref/erp/P-9/", "pledges.pledge"),
    "partners": ("/api/v1/partners/by-code/GOV-X/", "partners.partner"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", UPSERTS)
def test_upserts_and_bulk_need_the_add_and_change_permissions(
    api_as, world, role, resource
):
    url, label = UPSERTS[resource]
    allowed = MATRIX[label][ROLES.index(role)]
    client = api_as(role)
    single = client.put(url, {}, format="json").status_code
    bulk = client.post(
        f"/api/v1/{resource}/bulk/", {"records": [{}]}, format="json"
    ).status_code
    may = "a" in allowed and "c" in allowed
    assert (single == 403, bulk == 403) == (not may, not may)


def test_a_read_only_token_of_an_administrator_cannot_write(role_user, world):
    _token, key = make_token(role_user("Administrator"), ApiToken.Scope.READ)
    client = client_for(key)
    assert client.get("/api/v1/partners/").status_code == 200
    response = client.post("/api/v1/events/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
