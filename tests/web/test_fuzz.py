"""Schema-driven fuzzing of the REST API (schemathesis): no 5xx, every response matches the schema.

Bounded: a few hundred generated requests in all (``MAX_EXAMPLES`` per
operation), authenticated as an admin (every route open to it) on a campaign
awaiting approval, so decisions, edits and controls are really exercised. The
schema is read from the app once; each operation's test points the app at a
fresh datastore (the ``web`` fixture).
"""

from __future__ import annotations

from typing import cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from datastore import Datastore
from lab.web import create_app
from tests.web.conftest import Web

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
APP = create_app(cast(Datastore, None), secret_key="fuzz")  # the store is set per test
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def admin(web: Web) -> dict[str, str]:
    APP.state.store = web.store
    return web.auth("admin")


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_survives_fuzzing(case, admin: dict[str, str]) -> None:
    case.call_and_validate(headers=admin, checks=CHECKS)
