"""JSON no store or engine can hold is refused with a 400 before it reaches either."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from policy.models import PolicyDecision
from tenants import errors
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields
from tests.policy.test_decision_logs import TOKEN, URL, event
from tests.policy.test_evaluate_api import policy_input

EVALUATE = "/api/v1/policy/evaluate"
DEEP = "[" * 100_000 + "]" * 100_000


def written(agency_id: str) -> tuple[int, int]:
    """Count decisions and audit events, leaving out the one that records the refusal."""
    with agency_transaction(agency_id):
        return (
            PolicyDecision.objects.filter(agency_id=agency_id).count(),
            AuditEvent.objects.filter(agency_id=agency_id)
            .exclude(action="request.refused")
            .count(),
        )


def evaluate_raw(tenant: Tenant, body: str | bytes) -> Any:
    return tenant.client("compliance_officer").post(EVALUATE, body, content_type="application/json")


def refused(response: Any, status: int = 400, code: str = errors.MALFORMED_REQUEST) -> str:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return str(error["message"])


def valid_input_text(agency_id: str, **raw: str) -> str:
    """Return a valid policy input as JSON text with some values replaced by raw JSON."""
    document = policy_input(agency_id)
    marks = {key: f"@@{key}@@" for key in raw}
    document.update(marks)
    text = json.dumps({"input": document})
    for key, value in raw.items():
        text = text.replace(f'"@@{key}@@"', value)
    return text


def test_the_valid_text_is_evaluated(db: None, tenant_a: Tenant) -> None:
    """The raw-text helper itself yields an input the endpoint evaluates."""
    response = evaluate_raw(tenant_a, valid_input_text(tenant_a.agency.id, case_number='"2026-1"'))
    assert response.status_code == 200, response.content
    assert response.json()["allow"] is True


def test_a_deeply_nested_body_is_a_400(db: None, tenant_a: Tenant) -> None:
    before = written(tenant_a.agency.id)
    message = refused(evaluate_raw(tenant_a, DEEP))
    assert "deep" in message
    assert written(tenant_a.agency.id) == before


def test_nesting_past_the_bound_is_refused_even_where_python_could_parse_it(
    db: None, tenant_a: Tenant
) -> None:
    from tenants.parsers import JSON_MAX_DEPTH

    nested = "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)
    before = written(tenant_a.agency.id)
    refused(evaluate_raw(tenant_a, valid_input_text(tenant_a.agency.id, justification=nested)))
    assert written(tenant_a.agency.id) == before


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (r'"Robbery\u0000suspect"', "NUL"),
        (r'"Robbery \ud800 suspect"', "surrogate"),
        (r'"\udfff"', "surrogate"),
        ("1e400", "finite"),
        ("-1e400", "finite"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("123456789012345678901234567890", "integer"),
    ],
    ids=[
        "nul",
        "lone-high-surrogate",
        "lone-low-surrogate",
        "1e400",
        "-1e400",
        "nan",
        "infinity",
        "huge-integer",
    ],
)
def test_values_no_store_can_hold_are_a_400_on_evaluate(
    db: None, tenant_a: Tenant, raw: str, reason: str
) -> None:
    before = written(tenant_a.agency.id)
    message = refused(
        evaluate_raw(tenant_a, valid_input_text(tenant_a.agency.id, justification=raw))
    )
    assert reason.lower() in message.lower()
    assert written(tenant_a.agency.id) == before


def test_a_nul_in_a_key_is_a_400(db: None, tenant_a: Tenant) -> None:
    text = valid_input_text(tenant_a.agency.id, justification='{"a\\u0000b": 1}')
    refused(evaluate_raw(tenant_a, text))


def test_a_repeated_name_is_a_400(db: None, tenant_a: Tenant) -> None:
    """Parsers differ on which duplicate wins; the engine and the record must see one value."""
    text = valid_input_text(tenant_a.agency.id)[:-2] + ', "purpose": "protest_monitoring"}}'
    message = refused(evaluate_raw(tenant_a, text))
    assert "purpose" in message


def test_a_body_that_is_not_utf8_is_a_400(db: None, tenant_a: Tenant) -> None:
    refused(evaluate_raw(tenant_a, b'{"input": "\xff\xfe"}'))


def test_a_json_body_over_the_request_limit_is_a_413(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    """DRF's JSON parser reads the stream itself: the body limit must hold there too."""
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    text = valid_input_text(tenant_a.agency.id, justification=json.dumps(padding))
    refused(evaluate_raw(tenant_a, text), 413, errors.PAYLOAD_TOO_LARGE)


def test_a_form_body_over_the_request_limit_is_a_413(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    """DRF's form parser reads the stream itself too."""
    body = "note=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = tenant_a.client("supervisor").post(
        "/api/v1/follow-ups/00000000-0000-0000-0000-000000000000/complete",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    refused(response, 413, errors.PAYLOAD_TOO_LARGE)


@pytest.fixture
def opa(settings: Any) -> APIClient:
    settings.POLICY_BUNDLE_TOKEN = TOKEN
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("path", r'"fr/main\u0000/decision"'),
        ("timestamp", "1e400"),
        ("input", r'{"agency": {"id": "@agency@"}, "note": "\ud83d"}'),
        ("result", DEEP),
    ],
    ids=["nul-in-path", "1e400-timestamp", "lone-surrogate-in-input", "deep-result"],
)
@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
def test_decision_logs_with_values_no_store_can_hold_are_a_400(
    db: None, opa: APIClient, tenant_a: Tenant, field: str, raw: str, compress: bool
) -> None:
    batch = event(tenant_a.agency.id)
    batch[field] = "@@mark@@"
    text = json.dumps([batch]).replace('"@@mark@@"', raw.replace("@agency@", tenant_a.agency.id))
    body = gzip.compress(text.encode()) if compress else text.encode()
    before = written(tenant_a.agency.id)
    headers = {"Content-Encoding": "gzip"} if compress else {}
    response = opa.post(URL, body, content_type="application/json", headers=headers)
    refused(response)
    assert written(tenant_a.agency.id) == before


def test_a_deeply_nested_offence_in_a_search_form_is_a_400(db: None, tenant_a: Tenant) -> None:
    probe = io.BytesIO(photo("obama3.jpg"))
    probe.name = "probe.jpg"
    response = tenant_a.client().post(
        "/api/v1/searches", {**search_fields(offence=DEEP), "probe": probe}, format="multipart"
    )
    refused(response, 400, errors.INVALID_REQUEST)
    assert "offence" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "offence",
    [
        '{"code": "CC\\u0000344", "category": "robbery", "indictable": true}',
        '{"code": "CC 344", "category": "robbery", "indictable": true, "x": 1e400}',
        '{"code": "CC 344", "category": "\\udc00", "indictable": true}',
    ],
    ids=["nul", "1e400", "lone-surrogate"],
)
def test_an_offence_no_store_can_hold_is_a_400(db: None, tenant_a: Tenant, offence: str) -> None:
    probe = io.BytesIO(photo("obama3.jpg"))
    probe.name = "probe.jpg"
    response = tenant_a.client().post(
        "/api/v1/searches", {**search_fields(offence=offence), "probe": probe}, format="multipart"
    )
    refused(response, 400, errors.INVALID_REQUEST)
    assert "offence" in response.json()["error"]["fields"]
