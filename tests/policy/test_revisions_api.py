"""The REST endpoints of policy authoring: same rules as the services, over HTTP."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from policy.revisions import errors
from policy.services import policy_decide
from tenants.context import agency_transaction
from tenants.models import TokenIssuer, User
from tenants.services import token_issue, user_create
from tests.conftest import Tenant, wait_for

CASES = Path(settings.BASE_DIR) / "policy" / "fixtures" / "cases"


@pytest.fixture
def national(tenant_a: Tenant, committed: None) -> Iterator[Tenant]:
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        yield tenant_a


def officer_client(tenant: Tenant, suffix: str) -> APIClient:
    username = f"{tenant.agency.id}_co_api_{suffix}"
    with agency_transaction(tenant.agency.id):
        user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(agency=tenant.agency, username=username, roles=["compliance_officer"])
    key = token_issue(user=user, issued_via=TokenIssuer.OPERATOR_MFA_CHECK)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def draft(client: APIClient, scope: str = "baseline") -> dict[str, Any]:
    response = client.post("/api/v1/policy/revisions", {"scope": scope}, format="json")
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_a_syntax_error_saved_over_the_api_cannot_be_submitted(national: Tenant) -> None:
    client = national.client("compliance_officer")
    revision = draft(client)
    modules = dict(revision["modules"])
    modules["fr/baseline/youth.rego"] += "\nbroken := {\n"
    saved = client.put(
        f"/api/v1/policy/revisions/{revision['id']}",
        {"modules": modules, "data_document": revision["data_document"]},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    finding = saved.json()["checks"]["findings"][0]
    assert (finding["check"], finding["path"]) == ("parse", "fr/baseline/youth.rego")
    submitted = client.post(f"/api/v1/policy/revisions/{revision['id']}/submit", {}, format="json")
    assert submitted.status_code == 409
    assert submitted.json()["error"]["code"] == errors.REVISION_CHECKS_FAILED


def test_self_approval_is_refused_and_other_agencies_see_nothing(
    national: Tenant, tenant_b: Tenant
) -> None:
    author = national.client("compliance_officer")
    revision = draft(author)
    data = copy.deepcopy(revision["data_document"])
    saved = author.put(
        f"/api/v1/policy/revisions/{revision['id']}",
        {"modules": revision["modules"], "data_document": data},
        format="json",
    )
    assert saved.json()["checks"]["passed"] is True, saved.json()["checks"]["findings"]
    submitted = author.post(f"/api/v1/policy/revisions/{revision['id']}/submit", {}, format="json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"

    mine = author.post(
        f"/api/v1/policy/revisions/{revision['id']}/review",
        {"decision": "approve", "comment": "fine by me"},
        format="json",
    )
    assert mine.status_code == 403
    assert mine.json()["error"]["code"] == errors.REVISION_SELF_APPROVAL

    outsider = tenant_b.client("compliance_officer")
    hidden = outsider.get(f"/api/v1/policy/revisions/{revision['id']}")
    assert hidden.status_code == 404
    assert (
        outsider.post(
            f"/api/v1/policy/revisions/{revision['id']}/review",
            {"decision": "approve", "comment": "ok"},
            format="json",
        ).status_code
        == 404
    )
    investigator = national.client("investigator")
    assert investigator.get("/api/v1/policy/revisions").status_code == 403

    colleague = officer_client(national, "b")
    rejected = colleague.post(
        f"/api/v1/policy/revisions/{revision['id']}/review",
        {"decision": "reject", "comment": "Not agreed by the board."},
        format="json",
    )
    assert rejected.status_code == 200, rejected.content
    assert (rejected.json()["status"], rejected.json()["reviewer"]) == (
        "rejected",
        f"{national.agency.id}_co_api_b",
    )
    listed = colleague.get("/api/v1/policy/revisions").json()["revisions"]
    assert revision["id"] in [r["id"] for r in listed]
    assert all(r["agency_id"] in (None, national.agency.id) for r in listed)


def test_replay_runs_as_a_task_and_counts_the_changed_decisions(
    national: Tenant, celery_worker: Any
) -> None:
    document = json.loads((CASES / "tps_ica_robbery_allowed.json").read_text())["input"]
    document["agency"]["id"] = document["user"]["agency_id"] = national.agency.id
    document["gallery"]["owner_agency_id"] = national.agency.id
    document["justification"] = "  Robbery suspect 1 AB  "
    recorded = policy_decide(agency_id=national.agency.id, policy_input=document)
    assert recorded.allow is True

    client = national.client("compliance_officer")
    revision = draft(client)
    data = copy.deepcopy(revision["data_document"])
    data["fr"]["config"]["justification_min_chars"] = 21
    client.put(
        f"/api/v1/policy/revisions/{revision['id']}",
        {"modules": revision["modules"], "data_document": data},
        format="json",
    )
    started = client.post(
        f"/api/v1/policy/revisions/{revision['id']}/replays", {"days": 1}, format="json"
    )
    assert started.status_code == 202, started.content
    replay_id = started.json()["id"]

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/policy/replays/{replay_id}").json()
        return body if body["status"] in ("done", "failed") else None

    replay = wait_for(finished)
    assert replay["status"] == "done", replay
    assert replay["processed"] == replay["total"] >= 1
    assert replay["totals"]["allow_to_deny"] >= 1
    assert replay["by_reason"]["justification_insufficient"]["allow_to_deny"] >= 1
    changed = [c for c in replay["changes"] if c["decision_id"] == str(recorded.id)]
    assert changed == [
        {
            **changed[0],
            "kind": "allow_to_deny",
            "added": ["justification_insufficient"],
            "removed": [],
        }
    ]
    other = officer_client(national, "c")
    assert other.get(f"/api/v1/policy/replays/{replay_id}").status_code == 200
    assert national.client("auditor").get(f"/api/v1/policy/replays/{replay_id}").status_code == 403
