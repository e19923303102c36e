"""A schema-driven fuzz run against the live test server: no answer is a 500.

schemathesis reads the schema the server publishes and hypothesis sends
generated requests (valid and invalid) to every operation, as an
Administrator with the confidential permission and a read-write token, so
writes are tried too. (schemathesis' own pytest loader does not run on
pytest 9 yet, so the operations are walked here.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.models import ApiToken
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 5


@pytest.fixture
def api_key(role_user, world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "1000000/minute"},
    }
    _token, key = make_token(
        role_user("Administrator", confidential=True), ApiToken.Scope.READ_WRITE
    )
    return key


def test_no_generated_request_gets_a_server_error(live_server, api_key):
    headers = {"Authorization": f"Bearer {api_key}"}
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/schema/", headers=headers, timeout=120
    )
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(base_url=live_server.url, headers=headers, timeout=60)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.query} "
                    f"{case.body!r:.200}: {response.status_code}"
                )

        run()
    assert operations >= 60
    assert failures == []
