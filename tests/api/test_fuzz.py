"""schemathesis over every operation, as each role: no 5xx, no response off the schema.

Examples are generated from the schema the service serves (bounded per operation, no
shrinking, no deadline) and sent through the real WSGI application, database and policy
engine, each example as one of the roles or without credentials. The test's transaction is
rolled back afterwards, so nothing a worker would pick up is ever committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tenants.models import Role
from tests.conftest import Tenant

EXAMPLES_PER_OPERATION = 25
NEGATIVE_EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
CALLERS = [*Role.values, "anonymous"]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", application)


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """Keep the test's database connection across WSGI calls, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept")
@schema.parametrize()
@schema.given(caller=st.sampled_from(CALLERS))
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms(case: Any, caller: str, tenant_a: Tenant) -> None:
    token = tenant_a.tokens.get(caller)
    headers = {"Authorization": f"Token {token}"} if token else {}
    case.call_and_validate(headers=headers, checks=CHECKS)


negative = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", application)
negative.config.generation.update(modes=[GenerationMode.NEGATIVE])


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept")
@negative.parametrize()
@negative.given(caller=st.sampled_from(CALLERS))
@settings(
    max_examples=NEGATIVE_EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_invalid_requests_are_refused_not_crashed(case: Any, caller: str, tenant_a: Tenant) -> None:
    """Requests that break the schema (wrong types, missing fields) get a 4xx, never a 5xx."""
    token = tenant_a.tokens.get(caller)
    headers = {"Authorization": f"Token {token}"} if token else {}
    case.call_and_validate(headers=headers, checks=[not_a_server_error, content_type_conformance])
