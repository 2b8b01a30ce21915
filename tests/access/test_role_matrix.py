"""Every cell of the role table: each role, each action, on its own, a colleague's and another
agency's objects, through the API (the services decide; the table is ``tenants.need_to_know``).

An ``all`` cell must succeed on a colleague's object, an ``own`` cell only on one's own, an empty
cell never; another agency's object answers 404 whatever the role. The README's table is the
same table, checked below.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from authorizations.models import RecordStatus, Warrant
from matching.models import (
    Candidate,
    Disposition,
    FollowUp,
    FollowUpKind,
    Probe,
    Search,
    SearchStatus,
    Subject,
)
from tenants.context import agency_transaction
from tenants.models import Role, User
from tenants.need_to_know import ACTIONS, Scope, role_table_markdown
from tenants.services import training_record_add, user_create
from tests.authorizations.test_records import PDF, warrant_fields
from tests.conftest import Tenant, photo, search_fields

ROLES = list(Role.values)
PROBE_META = {
    "source": "cctv",
    "collected_in": "CA-ON",
    "collected_municipality": "Toronto",
    "subject_believed_minor": False,
    "captured_at": "2026-11-20T14:30:00-05:00",
}
OFFENCE = {"code": "CC 344", "category": "robbery", "indictable": True}


def colleague(tenant: Tenant) -> User:
    """Another trained investigator of the same agency."""
    user = user_create(
        agency=tenant.agency, username=f"col_{uuid.uuid4().hex[:8]}", roles=["investigator"]
    )
    now = timezone.now()
    training_record_add(
        user=user,
        course="FR",
        completed_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=300),
    )
    return user


def a_search(
    tenant: Tenant,
    owner: User,
    status: str,
    *,
    candidates: bool = True,
    faces: bool = False,
    lead: bool = False,
) -> Search:
    with agency_transaction(tenant.agency.id):
        search = Search.objects.create(
            agency=tenant.agency,
            gallery=tenant.gallery,
            requested_by=owner,
            status=status,
            purpose="criminal_investigation",
            offence=OFFENCE,
            case_number="2026-123456",
            justification="Armed robbery suspect captured on store CCTV; no other leads.",
            probe_meta=PROBE_META,
            max_candidates=10,
            min_similarity=0.8,
            max_distance=0.6,
            face_boxes=[{"x": 10, "y": 10, "w": 80, "h": 80}, {"x": 200, "y": 10, "w": 80, "h": 80}]
            if faces
            else None,
        )
        Probe.objects.create(
            search=search,
            agency=tenant.agency,
            content=b"\xff\xd8\xff\xd9",
            content_type="image/jpeg",
            sha256="0" * 64,
            size=4,
            width=1,
            height=1,
        )
        if candidates:
            subject = Subject.objects.get(gallery=tenant.gallery, ref="obama")
            Candidate.objects.create(
                agency=tenant.agency,
                search=search,
                rank=1,
                subject=subject,
                face_id=1,
                distance=0.35,
                similarity=0.93,
                disposition=Disposition.POSSIBLE_MATCH if lead else Disposition.PENDING,
            )
    return search


def a_warrant(tenant: Tenant, owner: User, status: str) -> Warrant:
    fields = warrant_fields()
    now = timezone.now()
    with agency_transaction(tenant.agency.id):
        return Warrant.objects.create(
            agency=tenant.agency,
            status=status,
            entered_by=owner,
            case_number=fields["case_number"],
            kind=fields["kind"],
            number=fields["number"],
            issuing_court=fields["issuing_court"],
            issuing_jurisdiction="CA-ON",
            issued_at=now - timedelta(days=2),
            expires_at=now + timedelta(days=28),
            authorized_purposes=["criminal_investigation"],
            authorized_case_number=fields["case_number"],
        )


def a_follow_up(tenant: Tenant, owner: User) -> FollowUp:
    search = a_search(tenant, owner, SearchStatus.AWAITING_REVIEW)
    with agency_transaction(tenant.agency.id):
        return FollowUp.objects.create(
            agency=tenant.agency,
            search=search,
            kind=FollowUpKind.POST_HOC_REVIEW,
            due_at=timezone.now() + timedelta(days=2),
        )


def a_subject(tenant: Tenant, owner: User) -> Subject:
    """A subject of the tenant's gallery (subjects have no owner: ``owner`` is unused)."""
    with agency_transaction(tenant.agency.id):
        return Subject.objects.select_related("gallery").create(
            agency=tenant.agency,
            gallery=tenant.gallery,
            ref=f"ref-{uuid.uuid4().hex[:8]}",
            display_name="A. Person",
        )


@dataclass(frozen=True)
class ObjectAction:
    """An action on one object: build the object for an owner, try it, tell if it was done."""

    make: Callable[[Tenant, User], Any]
    attempt: Callable[[APIClient, Any], Any]
    done: Callable[[Any], bool] = lambda response: response.status_code in (200, 201, 202)
    # Actions that refuse one's own object by another rule (no self-verification) are tried on
    # colleagues' objects only.
    own_object: bool = True


def _candidates_shown(response: Any) -> bool:
    return response.status_code == 200 and len(response.json()["candidates"]) == 1


def _search_get(client: APIClient, search: Search) -> Any:
    return client.get(f"/api/v1/searches/{search.id}")


OBJECT_ACTIONS: dict[str, ObjectAction] = {
    "search.read": ObjectAction(
        make=lambda t, u: a_search(t, u, SearchStatus.AWAITING_REVIEW),
        attempt=_search_get,
    ),
    "candidates.read": ObjectAction(
        make=lambda t, u: a_search(t, u, SearchStatus.AWAITING_REVIEW),
        attempt=_search_get,
        done=_candidates_shown,
    ),
    "search.face_choose": ObjectAction(
        make=lambda t, u: a_search(
            t, u, SearchStatus.AWAITING_FACE_CHOICE, candidates=False, faces=True
        ),
        attempt=lambda c, s: c.post(
            f"/api/v1/searches/{s.id}/face-choice", {"face": 0}, format="json"
        ),
    ),
    "candidate.review": ObjectAction(
        make=lambda t, u: a_search(t, u, SearchStatus.AWAITING_REVIEW),
        attempt=lambda c, s: c.post(
            f"/api/v1/searches/{s.id}/candidates/1/reviews",
            {"disposition": "not_a_match", "note": "Different ears."},
            format="json",
        ),
    ),
    "lead.outcome_record": ObjectAction(
        make=lambda t, u: a_search(t, u, SearchStatus.REVIEWED, lead=True),
        attempt=lambda c, s: c.post(
            f"/api/v1/searches/{s.id}/candidates/1/outcome",
            {"outcome": "confirmed", "note": "Fingerprints matched."},
            format="json",
        ),
    ),
    "search.review_complete": ObjectAction(
        make=lambda t, u: a_search(t, u, SearchStatus.AWAITING_REVIEW, candidates=False),
        attempt=lambda c, s: c.post(
            f"/api/v1/searches/{s.id}/review-complete",
            {"note": "Nobody above the threshold."},
            format="json",
        ),
    ),
    "authority_records.list": ObjectAction(
        make=lambda t, u: a_warrant(t, u, RecordStatus.VERIFIED),
        attempt=lambda c, w: c.get(f"/api/v1/authorities/warrants/{w.id}"),
    ),
    "authority_record.verify": ObjectAction(
        make=lambda t, u: a_warrant(t, u, RecordStatus.PENDING),
        attempt=lambda c, w: c.post(f"/api/v1/authorities/warrants/{w.id}/verify"),
        own_object=False,
    ),
    "authority_record.revoke": ObjectAction(
        make=lambda t, u: a_warrant(t, u, RecordStatus.VERIFIED),
        attempt=lambda c, w: c.post(
            f"/api/v1/authorities/warrants/{w.id}/revoke",
            {"reason": "Quashed on review."},
            format="json",
        ),
    ),
    "subject.correct": ObjectAction(
        make=a_subject,
        attempt=lambda c, s: c.post(
            f"/api/v1/galleries/{s.gallery.slug}/subjects/{s.pk}/correction",
            {"display_name": "A. Corrected Person", "reason": "Misspelt at booking."},
            format="json",
        ),
    ),
    "follow_up.complete": ObjectAction(
        make=a_follow_up,
        attempt=lambda c, f: c.post(
            f"/api/v1/follow-ups/{f.id}/complete",
            {"note": "Reviewed with the officer."},
            format="json",
        ),
        own_object=False,
    ),
}


def _submit(client: APIClient) -> Any:
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    return client.post("/api/v1/searches", {**search_fields(), "probe": upload}, format="multipart")


def _enter_warrant(client: APIClient) -> Any:
    upload = io.BytesIO(PDF)
    upload.name = "order.pdf"
    return client.post(
        "/api/v1/authorities/warrants", {**warrant_fields(), "document": upload}, format="multipart"
    )


# Actions on the agency as a whole: (try it, was it done). A create that passes the role check
# and then fails validation (400) was not refused.
AGENCY_ACTIONS: dict[str, tuple[Callable[[APIClient], Any], Callable[[Any], bool]]] = {
    "search.submit": (
        _submit,
        lambda r: r.status_code == 201 and r.json()["status"] != SearchStatus.DENIED,
    ),
    "searches.list": (lambda c: c.get("/api/v1/searches"), lambda r: r.status_code == 200),
    "decisions.list": (lambda c: c.get("/api/v1/policy/decisions"), lambda r: r.status_code == 200),
    "authority_record.enter": (_enter_warrant, lambda r: r.status_code == 201),
    "follow_ups.list": (lambda c: c.get("/api/v1/follow-ups"), lambda r: r.status_code == 200),
    "subject.enroll": (
        lambda c: c.post("/api/v1/galleries/booking/subjects", {}, format="multipart"),
        lambda r: r.status_code == 400,
    ),
    "enrollment_batches.list": (
        lambda c: c.get("/api/v1/enrollments"),
        lambda r: r.status_code == 200,
    ),
    "subjects.list": (
        lambda c: c.get("/api/v1/galleries/booking/subjects"),
        lambda r: r.status_code == 200,
    ),
    "held_photo.resolve": (lambda c: c.get("/api/v1/held-photos"), lambda r: r.status_code == 200),
    "users.manage": (lambda c: c.get("/api/v1/users"), lambda r: r.status_code == 200),
    "webhooks.manage": (lambda c: c.get("/api/v1/webhooks"), lambda r: r.status_code == 200),
    "policy.evaluate": (
        lambda c: c.post("/api/v1/policy/evaluate", {"input": []}, format="json"),
        lambda r: r.status_code == 400,
    ),
    "policy.author": (lambda c: c.get("/api/v1/policy/revisions"), lambda r: r.status_code == 200),
    "legal_event.record": (
        lambda c: c.post("/api/v1/legal-events", {}, format="json"),
        lambda r: r.status_code == 400,
    ),
    "legal_hold.manage": (
        lambda c: c.post("/api/v1/legal-holds", {}, format="json"),
        lambda r: r.status_code == 400,
    ),
    "deletion_certificates.list": (
        lambda c: c.get("/api/v1/deletion-certificates"),
        lambda r: r.status_code == 200,
    ),
}


def _scope(role: str, action: str) -> Scope | None:
    return ACTIONS[action].get(role)


def test_every_action_of_the_table_is_tried_here() -> None:
    assert set(ACTIONS) == set(OBJECT_ACTIONS) | set(AGENCY_ACTIONS)


def test_the_readme_shows_this_table() -> None:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert role_table_markdown() in readme


def _refused(response: Any) -> bool:
    return (
        response.status_code == 403
        or (response.status_code == 201 and response.json().get("status") == SearchStatus.DENIED)
        or (response.status_code == 200 and response.json().get("candidates_withheld") is True)
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(OBJECT_ACTIONS))
@pytest.mark.parametrize("whose", ["own", "colleague"])
def test_a_role_on_its_agencys_objects(
    db: None, tenant_a: Tenant, action: str, role: str, whose: str
) -> None:
    spec = OBJECT_ACTIONS[action]
    actor = tenant_a.users[role]
    if whose == "own" and not spec.own_object:
        pytest.skip("tried on colleagues' objects only (one never verifies one's own)")
    target = spec.make(tenant_a, actor if whose == "own" else colleague(tenant_a))
    response = spec.attempt(tenant_a.client(role), target)
    scope = _scope(role, action)
    expected = scope is Scope.ALL or (scope is Scope.OWN and whose == "own")
    if expected:
        assert spec.done(response), (response.status_code, response.content[:300])
    else:
        assert _refused(response), (response.status_code, response.content[:300])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(OBJECT_ACTIONS))
def test_another_agencys_object_is_not_found_whatever_the_role(
    db: None, tenant_a: Tenant, tenant_b: Tenant, action: str, role: str
) -> None:
    spec = OBJECT_ACTIONS[action]
    target = spec.make(tenant_b, tenant_b.users["investigator"])
    response = spec.attempt(tenant_a.client(role), target)
    # A role with no reach at all may be refused before any lookup: the answer then says
    # nothing about the object either.
    allowed = {404} if _scope(role, action) is not None else {403, 404}
    assert response.status_code in allowed, (response.status_code, response.content[:300])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(AGENCY_ACTIONS))
def test_a_role_on_its_agency(db: None, tenant_a: Tenant, action: str, role: str) -> None:
    attempt, done = AGENCY_ACTIONS[action]
    response = attempt(tenant_a.client(role))
    if _scope(role, action) is not None:
        assert done(response), (response.status_code, response.content[:300])
    else:
        assert _refused(response), (response.status_code, response.content[:300])


@pytest.mark.parametrize("role", ["investigator", "analyst"])
def test_own_scoped_lists_hold_only_ones_own(db: None, tenant_a: Tenant, role: str) -> None:
    actor, other = tenant_a.users[role], colleague(tenant_a)
    mine = a_search(tenant_a, actor, SearchStatus.AWAITING_REVIEW)
    theirs = a_search(tenant_a, other, SearchStatus.AWAITING_REVIEW)
    ids = {row["id"] for row in tenant_a.client(role).get("/api/v1/searches").json()["results"]}
    assert str(mine.id) in ids and str(theirs.id) not in ids
    their_warrant = a_warrant(tenant_a, other, RecordStatus.VERIFIED)
    records = tenant_a.client(role).get("/api/v1/authorities/warrants").json()["results"]
    assert str(their_warrant.id) not in {row["id"] for row in records}
