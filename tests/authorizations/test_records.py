"""Warrants, exigent approvals and agreements as records, and how searches rely on them."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from authorizations.models import RecordStatus, Warrant
from matching.galleries import gallery_create
from matching.models import FollowUp, Probe, Search, SearchStatus
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields, wait_for

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def warrant_fields(case_number: str = "2026-555", **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "case_number": case_number,
        "kind": "production_order",
        "number": "PO-2026-0042",
        "issuing_court": "Ontario Court of Justice, Toronto",
        "issuing_jurisdiction": "CA-ON",
        "issued_at": iso(-timedelta(days=2)),
        "expires_at": iso(timedelta(days=28)),
        "authorized_purposes": ["criminal_investigation"],
        "authorized_case_number": case_number,
    }
    fields.update(overrides)
    return fields


def enter(
    tenant: Tenant,
    kind: str,
    fields: dict[str, Any],
    *,
    document: bytes | None = PDF,
    role: str = "investigator",
) -> Any:
    data = dict(fields)
    if document is not None:
        upload = io.BytesIO(document)
        upload.name = "order.pdf"
        data["document"] = upload
    return tenant.client(role).post(f"/api/v1/authorities/{kind}", data, format="multipart")


def verified_warrant(tenant: Tenant, **overrides: Any) -> str:
    created = enter(tenant, "warrants", warrant_fields(**overrides))
    assert created.status_code == 201, created.content
    record_id = created.json()["id"]
    verified = tenant.client("supervisor").post(f"/api/v1/authorities/warrants/{record_id}/verify")
    assert verified.status_code == 200, verified.content
    return str(record_id)


def third_party_gallery(tenant: Tenant) -> str:
    slug = f"tp-{uuid.uuid4().hex[:6]}"
    gallery_create(
        agency=tenant.agency,
        slug=slug,
        name="Retailer loss-prevention archive",
        legal_basis="third_party_records",
        contains_youth_records=False,
    )
    return slug


def submit(tenant: Tenant, role: str = "investigator", **overrides: Any) -> Any:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    return tenant.client(role).post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )


def codes(body: dict[str, Any]) -> list[str]:
    return [r["code"] for r in body["decision"]["reasons"]]


def test_a_warrant_is_entered_with_its_document_and_verified_by_another_supervisor(
    db: None, tenant_a: Tenant
) -> None:
    created = enter(tenant_a, "warrants", warrant_fields())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == RecordStatus.PENDING
    assert body["expired"] is False
    assert body["document"]["type"] == "application/pdf"
    document = tenant_a.client().get(f"/api/v1/authorities/warrants/{body['id']}/document")
    assert document.content == PDF
    verified = tenant_a.client("supervisor").post(
        f"/api/v1/authorities/warrants/{body['id']}/verify"
    )
    assert verified.json()["status"] == RecordStatus.VERIFIED
    assert verified.json()["verified_by"] == tenant_a.users["supervisor"].username


def test_the_author_cannot_verify_their_own_record(db: None, tenant_a: Tenant) -> None:
    created = enter(tenant_a, "warrants", warrant_fields(), role="supervisor").json()
    response = tenant_a.client("supervisor").post(
        f"/api/v1/authorities/warrants/{created['id']}/verify"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "self_verification_refused"


def test_only_supervisors_verify(db: None, tenant_a: Tenant) -> None:
    created = enter(tenant_a, "warrants", warrant_fields()).json()
    response = tenant_a.client("analyst").post(
        f"/api/v1/authorities/warrants/{created['id']}/verify"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("document", "status", "code"),
    [
        (None, 400, "document_missing"),
        (b"plain text, not a document", 415, "document_type_unsupported"),
    ],
)
def test_a_warrant_needs_a_real_document(
    db: None, tenant_a: Tenant, document: bytes | None, status: int, code: str
) -> None:
    with agency_transaction(tenant_a.agency.id):
        before = Warrant.objects.count()
    response = enter(tenant_a, "warrants", warrant_fields(), document=document)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    with agency_transaction(tenant_a.agency.id):
        assert Warrant.objects.count() == before


def test_a_window_that_ends_before_it_starts_is_refused(db: None, tenant_a: Tenant) -> None:
    fields = warrant_fields(expires_at=iso(-timedelta(days=3)))
    response = enter(tenant_a, "warrants", fields)
    assert response.status_code == 400
    assert "expires_at" in response.json()["error"]["fields"]


def test_a_third_party_gallery_needs_the_warrant_and_gets_its_facts_from_the_record(
    db: None, tenant_a: Tenant
) -> None:
    gallery = third_party_gallery(tenant_a)
    denied = submit(tenant_a, gallery=gallery, case_number="2026-555").json()
    assert denied["status"] == SearchStatus.DENIED
    assert "warrant_required_missing" in codes(denied)

    warrant_id = verified_warrant(tenant_a)
    allowed = submit(
        tenant_a, gallery=gallery, case_number="2026-555", warrant_id=warrant_id
    ).json()
    assert allowed["status"] == SearchStatus.QUEUED, codes(allowed)
    assert "authority_judicial_authorization" in codes(allowed)
    assert allowed["authorities"]["warrant_id"] == warrant_id
    with agency_transaction(tenant_a.agency.id):
        stored = PolicyDecision.objects.get(id=allowed["decision"]["id"]).input
        record = Warrant.objects.get(id=warrant_id)
    assert stored["warrant"]["number"] == record.number
    assert stored["warrant"]["expires_at"] == record.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_warrant_for_another_case_is_denied(db: None, tenant_a: Tenant) -> None:
    gallery = third_party_gallery(tenant_a)
    warrant_id = verified_warrant(tenant_a, case_number="2026-777")
    body = submit(tenant_a, gallery=gallery, case_number="2026-555", warrant_id=warrant_id).json()
    assert body["status"] == SearchStatus.DENIED
    assert "warrant_case_mismatch" in codes(body)


def test_an_unverified_warrant_cannot_be_relied_on(db: None, tenant_a: Tenant) -> None:
    created = enter(tenant_a, "warrants", warrant_fields()).json()
    with agency_transaction(tenant_a.agency.id):
        before = Search.objects.count()
    response = submit(tenant_a, warrant_id=created["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "authority_unverified"
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.count() == before


def test_another_agencys_warrant_is_not_found(db: None, tenant_a: Tenant, tenant_b: Tenant) -> None:
    warrant_id = verified_warrant(tenant_a)
    assert tenant_b.client().get(f"/api/v1/authorities/warrants/{warrant_id}").status_code == 404
    assert (
        tenant_b.client("supervisor")
        .post(f"/api/v1/authorities/warrants/{warrant_id}/revoke", {"reason": "x"}, format="json")
        .status_code
        == 404
    )
    response = submit(tenant_b, warrant_id=warrant_id)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "warrant_not_found"


def test_exigent_search_needs_a_supervisors_approval_and_creates_follow_ups(
    db: None, tenant_a: Tenant
) -> None:
    claim = {
        "case_number": "2026-900",
        "category": "imminent_risk_to_life_or_bodily_harm",
        "granted_to": tenant_a.users["investigator"].username,
        "purpose": "imminent_threat_to_life",
        "reason": "Abducted child; suspect seen on transit CCTV minutes ago.",
    }
    created = enter(tenant_a, "exigent-approvals", claim, document=None)
    assert created.status_code == 201, created.content
    approval_id = created.json()["id"]
    fields = {
        "purpose": "imminent_threat_to_life",
        "offence": None,
        "case_number": "2026-900",
        "exigent_approval_id": approval_id,
    }

    pending = submit(tenant_a, **fields).json()
    assert pending["status"] == SearchStatus.DENIED
    assert "exigent_no_supervisor_approval" in codes(pending)

    approved = tenant_a.client("supervisor").post(
        f"/api/v1/authorities/exigent-approvals/{approval_id}/verify"
    )
    assert approved.status_code == 200
    allowed = submit(tenant_a, **fields).json()
    assert allowed["status"] == SearchStatus.QUEUED, codes(allowed)
    assert "authority_exigent_circumstances" in codes(allowed)
    assert allowed["decision"]["obligations"]["max_candidates"] == 10
    with agency_transaction(tenant_a.agency.id):
        tasks = {t.kind: t for t in FollowUp.objects.filter(search_id=allowed["id"])}
    assert set(tasks) >= {"supervisor_notification", "post_hoc_review"}
    due = tasks["post_hoc_review"].due_at - tasks["supervisor_notification"].due_at
    assert timedelta(hours=71, minutes=59) < due <= timedelta(hours=72)
    listed = tenant_a.client("supervisor").get("/api/v1/follow-ups").json()["results"]
    assert {str(tasks["post_hoc_review"].id)} <= {t["id"] for t in listed}
    assert tenant_a.client("investigator").get("/api/v1/follow-ups").status_code == 403
    done = tenant_a.client("supervisor").post(
        f"/api/v1/follow-ups/{tasks['post_hoc_review'].id}/complete",
        {"note": "Reviewed: exigency justified by the abduction report."},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["completed_by"] == tenant_a.users["supervisor"].username


def test_revoking_a_warrant_cancels_a_queued_search_and_deletes_its_probe(
    db: None, tenant_a: Tenant
) -> None:
    gallery = third_party_gallery(tenant_a)
    warrant_id = verified_warrant(tenant_a)
    queued = submit(tenant_a, gallery=gallery, case_number="2026-555", warrant_id=warrant_id).json()
    assert queued["status"] == SearchStatus.QUEUED
    revoked = tenant_a.client("supervisor").post(
        f"/api/v1/authorities/warrants/{warrant_id}/revoke",
        {"reason": "Order set aside on review."},
        format="json",
    )
    assert revoked.status_code == 200, revoked.content
    assert revoked.json()["searches_cancelled"] == 1
    body = tenant_a.client().get(f"/api/v1/searches/{queued['id']}").json()
    assert body["status"] == SearchStatus.CANCELLED
    assert body["error"]["code"] == "authority_revoked"
    with agency_transaction(tenant_a.agency.id):
        probe = Probe.objects.get(search_id=queued["id"])
    assert probe.content is None
    again = submit(tenant_a, gallery=gallery, case_number="2026-555", warrant_id=warrant_id)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "authority_revoked"


@pytest.mark.worker
def test_revoking_quarantines_finished_results(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    case = f"2026-{uuid.uuid4().hex[:6]}"
    gallery = "booking"
    warrant_id = verified_warrant(tenant_a, case_number=case, kind="general_warrant")
    created = submit(tenant_a, gallery=gallery, case_number=case, warrant_id=warrant_id).json()
    assert created["status"] == SearchStatus.QUEUED, codes(created)
    done = wait_for(
        lambda: (
            (b := tenant_a.client().get(f"/api/v1/searches/{created['id']}").json())["status"]
            == SearchStatus.AWAITING_REVIEW
            and b
        )
    )
    assert done["candidates"]
    revoked = (
        tenant_a.client("compliance_officer")
        .post(
            f"/api/v1/authorities/warrants/{warrant_id}/revoke",
            {"reason": "Issued on a misleading affidavit."},
            format="json",
        )
        .json()
    )
    assert revoked["searches_quarantined"] == 1
    after = tenant_a.client().get(f"/api/v1/searches/{created['id']}").json()
    assert after["quarantined"]["reason"].startswith("Authority revoked")
    assert after["candidates"] == []


@pytest.mark.parametrize("kind", ["warrants", "exigent-approvals", "interagency-agreements"])
def test_another_agencys_record_answers_like_a_missing_one(
    db: None, tenant_a: Tenant, tenant_b: Tenant, kind: str
) -> None:
    fields = {
        "warrants": warrant_fields(),
        "exigent-approvals": {
            "case_number": "2026-1",
            "category": "child_at_imminent_risk",
            "granted_to": tenant_a.users["investigator"].username,
            "purpose": "imminent_threat_to_life",
            "reason": "Child missing from a shelter tonight.",
        },
        "interagency-agreements": {
            "reference": "JFO-2026-07",
            "kind": "joint_forces_operation",
            "partner_agency_id": "opp",
            "partner_jurisdiction": "CA-ON",
            "expires_at": iso(timedelta(days=90)),
        },
    }[kind]
    created = enter(tenant_a, kind, fields, document=None if kind == "exigent-approvals" else PDF)
    assert created.status_code == 201, created.content
    record_id = created.json()["id"]
    missing = str(uuid.uuid4())
    for suffix, method, role in (
        ("", "get", "investigator"),
        ("/document", "get", "investigator"),
        ("/verify", "post", "supervisor"),
        ("/revoke", "post", "supervisor"),
    ):
        client = tenant_b.client(role)
        theirs = getattr(client, method)(
            f"/api/v1/authorities/{kind}/{record_id}{suffix}",
            {"reason": "x"} if suffix == "/revoke" else None,
            format="json",
        )
        absent = getattr(client, method)(
            f"/api/v1/authorities/{kind}/{missing}{suffix}",
            {"reason": "x"} if suffix == "/revoke" else None,
            format="json",
        )
        assert theirs.status_code == absent.status_code == 404, suffix
        assert theirs.json() == absent.json()
    after = tenant_a.client().get(f"/api/v1/authorities/{kind}/{record_id}").json()
    assert after["status"] == RecordStatus.PENDING


def test_another_agencys_follow_ups_are_invisible_and_cannot_be_closed(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    claim = {
        "case_number": "2026-901",
        "category": "child_at_imminent_risk",
        "granted_to": tenant_a.users["investigator"].username,
        "purpose": "imminent_threat_to_life",
        "reason": "Toddler taken from a playground; vehicle seen on CCTV.",
    }
    approval_id = enter(tenant_a, "exigent-approvals", claim, document=None).json()["id"]
    tenant_a.client("supervisor").post(
        f"/api/v1/authorities/exigent-approvals/{approval_id}/verify"
    )
    allowed = submit(
        tenant_a,
        purpose="imminent_threat_to_life",
        offence=None,
        case_number="2026-901",
        exigent_approval_id=approval_id,
    ).json()
    assert allowed["status"] == SearchStatus.QUEUED, codes(allowed)
    with agency_transaction(tenant_a.agency.id):
        task = FollowUp.objects.filter(search_id=allowed["id"]).first()
    assert task is not None
    listed = tenant_b.client("supervisor").get("/api/v1/follow-ups?status=all").json()["results"]
    assert str(task.id) not in {t["id"] for t in listed}
    closed = tenant_b.client("supervisor").post(
        f"/api/v1/follow-ups/{task.id}/complete", {"note": "not mine"}, format="json"
    )
    assert closed.status_code == 404
    with agency_transaction(tenant_a.agency.id):
        task.refresh_from_db()
    assert task.completed_at is None


def test_an_expired_warrant_shows_as_expired_and_the_policy_denies_it(
    db: None, tenant_a: Tenant
) -> None:
    gallery = third_party_gallery(tenant_a)
    warrant_id = verified_warrant(
        tenant_a, issued_at=iso(-timedelta(days=40)), expires_at=iso(-timedelta(seconds=1))
    )
    record = tenant_a.client().get(f"/api/v1/authorities/warrants/{warrant_id}").json()
    assert record["expired"] is True
    body = submit(tenant_a, gallery=gallery, case_number="2026-555", warrant_id=warrant_id).json()
    assert body["status"] == SearchStatus.DENIED
    assert "warrant_expired" in codes(body)
