"""Submit a search: check its authorities, ask the policy, and deny it or queue it.

Runs in the web process and never decodes the probe. Everything -- the search, its decision,
the probe, follow-ups and their audit events -- is written in one transaction, which holds the
authority records ``FOR SHARE`` from the check to the commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.services import audit_record
from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from matching.biometric_bytes import probe_content_seal
from matching.images import ImageRejectedError, image_inspect
from matching.models import FollowUp, FollowUpKind, Gallery, Probe, Search, SearchStatus
from matching.policy_input import authority_facts, search_policy_input
from matching.searches.capacity import search_capacity_check
from matching.searches.recovery import search_enqueue
from matching.searches.transitions import search_transition
from matching.selectors import gallery_get
from matching.similarity import distance_for_similarity
from policy.models import PolicyDecision
from policy.obligations import search_limits
from policy.services import decision_audit, decision_store, policy_evaluate
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User

GALLERY_NOT_FOUND = "gallery_not_found"
AUTHORITY_REVOKED = "authority_revoked"
AUTHORITY_UNVERIFIED = "authority_unverified"

Record = TypeVar("Record", bound=AuthorizationRecord)


@dataclass(frozen=True)
class SearchRequest:
    """The client's side of a search: what they claim, never who they are."""

    gallery: str
    purpose: str
    case_number: str
    justification: str
    probe: dict[str, Any]
    offence: dict[str, Any] | None = None
    warrant_id: uuid.UUID | None = None
    exigent_approval_id: uuid.UUID | None = None
    agreement_id: uuid.UUID | None = None
    face_hint: dict[str, int] | None = None


@dataclass(frozen=True)
class Authorities:
    """The authority records a search relies on, resolved within the agency."""

    warrant: Warrant | None = None
    exigent: ExigentApproval | None = None
    agreement: InteragencyAgreement | None = None


def _authority_lock(
    model: type[Record],
    agency_id: str,
    record_id: uuid.UUID | None,
    label: str,
    *,
    require_verified: bool,
) -> Record | None:
    """Return the record locked ``FOR SHARE`` until commit, or refuse it."""
    if record_id is None:
        return None
    with connection.cursor() as cursor:
        # FOR SHARE (Django only offers FOR UPDATE): a revocation waits for this submit's
        # commit, other submits relying on the same record do not.
        cursor.execute(
            f"SELECT 1 FROM {model._meta.db_table} WHERE id = %s AND agency_id = %s FOR SHARE",  # noqa: S608 - a model's table name
            [record_id, agency_id],
        )
    related = [f.name for f in model._meta.get_fields() if f.name in ("verified_by", "granted_to")]
    record = (
        model._default_manager.select_related(*related)
        .filter(agency_id=agency_id, id=record_id)
        .first()
    )
    if record is None:
        raise ApiError(f"{label}_not_found", f"No such {label.replace('_', ' ')}.", http_status=404)
    if record.status == RecordStatus.REVOKED:
        raise ApiError(
            AUTHORITY_REVOKED, f"The {label.replace('_', ' ')} has been revoked.", http_status=409
        )
    if require_verified and record.status != RecordStatus.VERIFIED:
        raise ApiError(
            AUTHORITY_UNVERIFIED,
            f"The {label.replace('_', ' ')} has not been verified by a supervisor.",
            http_status=409,
        )
    return record


def authorities_lock(*, agency_id: str, request: SearchRequest) -> Authorities:
    """Lock the referenced records in the agency for the transaction; refuse unusable ones."""
    return Authorities(
        warrant=_authority_lock(
            Warrant, agency_id, request.warrant_id, "warrant", require_verified=True
        ),
        # An unapproved exigent claim, or one granted for another case, officer or purpose,
        # goes to the policy, which denies it (E-01, E-09) on record.
        exigent=_authority_lock(
            ExigentApproval,
            agency_id,
            request.exigent_approval_id,
            "exigent_approval",
            require_verified=False,
        ),
        agreement=_authority_lock(
            InteragencyAgreement,
            agency_id,
            request.agreement_id,
            "interagency_agreement",
            require_verified=True,
        ),
    )


def search_submit(
    *,
    user: User,
    mfa_verified: bool,
    request: SearchRequest,
    probe_bytes: bytes,
    probe_content_type: str,
) -> Search:
    """Record a search, ask the policy, and either deny it or queue it for a worker.

    The probe is only inspected (type, size, structure), never decoded. A denied search keeps
    no probe bytes.
    """
    agency = user.agency
    assert agency is not None  # noqa: S101 - authenticated users always have an agency
    try:
        info = image_inspect(probe_bytes, declared_type=probe_content_type)
    except ImageRejectedError as exc:
        raise ApiError(exc.code, exc.message, http_status=exc.http_status) from exc
    gallery = gallery_get(agency=agency, slug=request.gallery)
    if gallery is None:
        raise ApiError(GALLERY_NOT_FOUND, "No such gallery.", http_status=404)
    now = timezone.now()
    with agency_transaction(agency.id):
        with connection.cursor() as cursor:  # one submit per user at a time past this point
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"submit:{agency.id}:{user.pk}"],
            )
        search_capacity_check(user=user)
        authorities = authorities_lock(agency_id=agency.id, request=request)
        search = _search_new(user=user, gallery=gallery, request=request, authorities=authorities)
        policy_input = search_policy_input(
            search=search, user=user, mfa_verified=mfa_verified, now=now
        )
        decision = policy_evaluate(policy_input=policy_input)
        search.save(force_insert=True)
        record = decision_store(
            agency_id=agency.id, policy_input=policy_input, decision=decision, search_id=search.id
        )
        search.decision = record
        search.save(update_fields=["decision"])
        probe = Probe(
            search=search,
            agency=agency,
            content_type=info.content_type,
            sha256=info.sha256,
            size=info.size,
            width=info.width,
            height=info.height,
        )
        limits = search_limits(record.obligations) if record.allow else None
        follow_ups = _follow_ups_create(search, record.obligations, now) if limits else []
        if limits:
            probe_content_seal(probe=probe, content=probe_bytes)
        probe.deleted_at = None if limits else now
        probe.save(force_insert=True)
        # Audit events last: the chain's lock is held only from here to the commit.
        audit_record(
            agency_id=agency.id,
            actor=user,
            action="search.submitted",
            object_type="search",
            object_id=str(search.id),
            data={
                "gallery": gallery.slug,
                "purpose": request.purpose,
                "case_number": request.case_number,
                "probe_sha256": info.sha256,
                "probe_bytes": info.size,
            },
        )
        decision_audit(record=record, actor=user, purpose="search", error=decision.error)
        if limits is None:
            search_transition(
                search=search,
                to=SearchStatus.DENIED,
                actor=user,
                data={
                    "codes": [r.get("code") for r in record.reasons],
                    "decision_id": str(record.id),
                },
            )
            audit_record(
                agency_id=agency.id,
                actor="system",
                action="probe.discarded",
                object_type="search",
                object_id=str(search.id),
                data={"sha256": info.sha256, "reason": "search not allowed"},
            )
            return search
        for task in follow_ups:
            audit_record(
                agency_id=agency.id,
                actor="system",
                action="follow_up.created",
                object_type="follow_up",
                object_id=str(task.id),
                data={
                    "search_id": str(search.id),
                    "kind": task.kind,
                    "due_at": task.due_at.isoformat(),
                },
            )
        _search_queue(
            search,
            record,
            limits.max_candidates,
            limits.min_similarity,
            limits.probe_retention_days,
            actor=user,
            now=now,
        )
    return search


def _search_new(
    *, user: User, gallery: Gallery, request: SearchRequest, authorities: Authorities
) -> Search:
    """Return the unsaved search with the facts of its records as decided on."""
    facts = authority_facts(
        warrant=authorities.warrant, exigent=authorities.exigent, agreement=authorities.agreement
    )
    return Search(
        id=uuid.uuid4(),
        agency=user.agency,
        gallery=gallery,
        requested_by=user,
        purpose=request.purpose,
        offence=request.offence,
        case_number=request.case_number,
        justification=request.justification,
        warrant=facts.warrant,
        exigent=facts.exigent,
        interagency=facts.interagency,
        warrant_record=authorities.warrant,
        exigent_record=authorities.exigent,
        agreement_record=authorities.agreement,
        probe_meta=request.probe,
        face_hint=request.face_hint,
    )


def _search_queue(
    search: Search,
    decision: PolicyDecision,
    max_candidates: int,
    min_similarity: float,
    retention_days: int,
    *,
    actor: User,
    now: datetime,
) -> None:
    """Apply an allow's limits, queue the search and hand it to a worker on commit."""
    search_transition(
        search=search,
        to=SearchStatus.QUEUED,
        actor=actor,
        data={
            "decision_id": str(decision.id),
            "max_candidates": max_candidates,
            "min_similarity": min_similarity,
        },
        fields={
            "max_candidates": max_candidates,
            "min_similarity": min_similarity,
            "max_distance": distance_for_similarity(min_similarity),
            "probe_retain_until": now + timedelta(days=retention_days),
            "handling": _handling(decision.obligations),
            "lease_expires_at": now + timedelta(seconds=settings.DISPATCH_GRACE_SECONDS),
        },
    )
    search_enqueue(search_id=search.id, agency_id=search.agency_id)


def _handling(obligations: dict[str, Any]) -> dict[str, bool]:
    """Return the handling flags the result carries to reviewers and the portal."""
    keys = (
        "human_review_required",
        "results_lead_only",
        "ycja_handling",
        "victim_identity_protection",
        "provenance_record_required",
        "discard_non_matching_faces_immediately",
        "qc_destroy_biometrics_when_purpose_met",
    )
    flags = {key: obligations.get(key) is True for key in keys}
    flags["human_review_required"] = flags["results_lead_only"] = True
    return flags


def _follow_ups_create(
    search: Search, obligations: dict[str, Any], now: datetime
) -> list[FollowUp]:
    """Create the visible follow-up tasks the obligations demand, with due dates."""
    hours = obligations.get("post_hoc_review_within_hours")
    within = timedelta(hours=hours if isinstance(hours, int) and hours > 0 else 72)
    wanted = [
        (FollowUpKind.SUPERVISOR_NOTIFICATION, obligations.get("supervisor_notification"), now),
        (FollowUpKind.POST_HOC_REVIEW, obligations.get("post_hoc_review_required"), now + within),
        (
            FollowUpKind.JUDICIAL_AUTHORIZATION_FOLLOWUP,
            obligations.get("judicial_authorization_followup"),
            now + within,
        ),
    ]
    return [
        FollowUp.objects.create(agency_id=search.agency_id, search=search, kind=kind, due_at=due)
        for kind, needed, due in wanted
        if needed is True
    ]
