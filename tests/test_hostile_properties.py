"""Property: no request an authenticated client can send to a JSON or multipart endpoint is a 5xx.

Hypothesis builds bodies from valid requests with fields replaced by arbitrary JSON (NaN,
infinities, huge numbers, NUL, lone surrogates, deep nesting) or arbitrary text and bytes. Every
answer must be below 500 and, when it is an error, carry the JSON error shape. The number of
examples is bounded (``PROBITY_HYPOTHESIS_EXAMPLES``, default 40 per endpoint) and so is the
time; the examples are the same on every run unless ``PROBITY_HYPOTHESIS_RANDOM=1``, and
nothing is kept between runs.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.authorizations.test_records import warrant_fields
from tests.conftest import Tenant, search_fields
from tests.policy.test_evaluate_api import policy_input

EXAMPLES = int(os.environ.get("PROBITY_HYPOTHESIS_EXAMPLES", "40"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("PROBITY_HYPOTHESIS_RANDOM") != "1",
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
OPA_TOKEN = "opa-service-token-for-property-tests"

# Every code point, lone surrogates and NUL included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, any_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)
    ),
    max_leaves=8,
)
deep = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)
raw_json = st.one_of(
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    deep,
    any_text,
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "NaN",
            '"\\u0000"',
            '"\\ud800"',
            "[1,",
            "{}",
            "",
            '{"a": 1, "a": 2}',
            "1" * 5000,
        ]
    ),
)
form_values = st.one_of(
    any_text,
    raw_json,
    st.sampled_from(
        [
            "2026-11-20T09:00:00+23:59",
            "2026-11-20T09:00:00-16:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999+15:59",
            str(uuid.uuid4()),
            "true",
            "1e400",
        ]
    ),
)


def field_overrides(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(names), form_values, max_size=3)


def acceptable(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


def input_text(agency_id: str, overrides: dict[str, str]) -> str:
    document = policy_input(agency_id)
    document.update({key: f"@@{key}@@" for key in overrides})
    text = json.dumps({"input": document})
    for key, raw in overrides.items():
        text = text.replace(f'"@@{key}@@"', raw)
    return text


POLICY_KEYS = [
    "purpose",
    "offence",
    "case_number",
    "justification",
    "warrant",
    "exigent",
    "interagency",
    "probe",
    "gallery",
    "user",
    "now",
    "extra",
]


@BOUNDED
@given(overrides=st.dictionaries(st.sampled_from(POLICY_KEYS), raw_json, max_size=3))
def test_policy_evaluate_never_fails(db: None, tenant_a: Tenant, overrides: dict[str, str]) -> None:
    response = tenant_a.client("compliance_officer").post(
        "/api/v1/policy/evaluate",
        input_text(tenant_a.agency.id, overrides),
        content_type="application/json",
    )
    acceptable(response)


@BOUNDED
@given(body=st.one_of(raw_json.map(str.encode), st.binary(max_size=64)))
def test_policy_evaluate_on_any_body_never_fails(db: None, tenant_a: Tenant, body: bytes) -> None:
    acceptable(
        tenant_a.client("compliance_officer").post(
            "/api/v1/policy/evaluate", body, content_type="application/json"
        )
    )


SEARCH_FIELDS = [
    *search_fields(),
    "face_hint",
    "warrant_id",
    "exigent_approval_id",
    "interagency_agreement_id",
]


@BOUNDED
@given(overrides=field_overrides(SEARCH_FIELDS), probe=st.binary(max_size=256))
def test_search_submission_never_fails(
    db: None, tenant_a: Tenant, overrides: dict[str, Any], probe: bytes
) -> None:
    upload = io.BytesIO(b"\xff\xd8\xff" + probe)
    upload.name = "probe.jpg"
    response = tenant_a.client().post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )
    acceptable(response)


@BOUNDED
@given(
    fields=st.dictionaries(
        st.sampled_from(["ref", "display_name", "extra"]), form_values, max_size=3
    ),
    images=st.lists(st.binary(max_size=128), min_size=0, max_size=3),
)
def test_enrollment_never_fails(
    db: None, tenant_a: Tenant, fields: dict[str, Any], images: list[bytes]
) -> None:
    uploads = []
    for index, content in enumerate(images):
        handle = io.BytesIO(content)
        handle.name = f"photo-{index}.jpg"
        uploads.append(handle)
    response = tenant_a.client("agency_admin").post(
        f"/api/v1/galleries/{tenant_a.gallery.slug}/subjects",
        {"ref": "property-subject", **fields, "images": uploads},
        format="multipart",
    )
    acceptable(response)


WARRANT_FIELDS = list(warrant_fields())


@BOUNDED
@given(overrides=field_overrides(WARRANT_FIELDS), as_json=st.booleans())
def test_warrant_entry_never_fails(
    db: None, tenant_a: Tenant, overrides: dict[str, Any], as_json: bool
) -> None:
    fields = warrant_fields(**overrides)
    client = tenant_a.client()
    if as_json:
        response = client.post("/api/v1/authorities/warrants", fields, format="json")
    else:
        document = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
        document.name = "order.pdf"
        response = client.post(
            "/api/v1/authorities/warrants", {**fields, "document": document}, format="multipart"
        )
    acceptable(response)


@BOUNDED
@given(
    path=st.sampled_from(
        [
            "/api/v1/searches/{id}/face-choice",
            "/api/v1/searches/{id}/candidates/1/reviews",
            "/api/v1/searches/{id}/review-complete",
            "/api/v1/follow-ups/{id}/complete",
            "/api/v1/authorities/warrants/{id}/revoke",
            "/api/v1/authorities/warrants/{id}/verify",
        ]
    ),
    search_id=st.one_of(st.uuids().map(str), any_text.filter(lambda s: "/" not in s)),
    body=raw_json,
)
def test_json_endpoints_never_fail(
    db: None, tenant_a: Tenant, path: str, search_id: str, body: str
) -> None:
    from urllib.parse import quote

    url = path.format(id=quote(search_id.encode("utf-8", "surrogatepass"), safe=""))
    response = tenant_a.client("supervisor").post(url, body, content_type="application/json")
    acceptable(response)


@BOUNDED
@given(
    events=st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "decision_id": any_text,
                    "input": json_values,
                    "path": json_values,
                    "timestamp": json_values,
                    "result": json_values,
                }
            ),
        ),
        max_size=3,
    ),
    compress=st.booleans(),
)
def test_decision_logs_never_fail(
    db: None, tenant_a: Tenant, events: list[Any], compress: bool
) -> None:
    from django.test import override_settings

    body = json.dumps(events, allow_nan=True).encode()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {OPA_TOKEN}")
    with override_settings(POLICY_BUNDLE_TOKEN=OPA_TOKEN):
        response = client.post(
            "/api/v1/policy/decision-logs",
            gzip.compress(body) if compress else body,
            content_type="application/json",
        )
    acceptable(response)


@pytest.mark.parametrize(
    "path", ["/api/v1/searches", "/api/v1/policy/evaluate", "/api/v1/authorities/warrants"]
)
def test_the_strategies_reach_the_endpoints(db: None, tenant_a: Tenant, path: str) -> None:
    """The valid base requests the properties mutate are themselves accepted or decided."""
    client = tenant_a.client("compliance_officer" if "policy" in path else "investigator")
    if path.endswith("searches"):
        from tests.conftest import photo

        probe = io.BytesIO(photo("obama3.jpg"))
        probe.name = "probe.jpg"
        response = client.post(path, {**search_fields(), "probe": probe}, format="multipart")
        assert response.status_code == 201, response.content
    elif path.endswith("evaluate"):
        response = client.post(
            path, input_text(tenant_a.agency.id, {}), content_type="application/json"
        )
        assert response.status_code == 200, response.content
    else:
        document = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
        document.name = "order.pdf"
        response = client.post(path, {**warrant_fields(), "document": document}, format="multipart")
        assert response.status_code == 201, response.content
