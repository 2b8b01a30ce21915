"""Candidate review in the portal: blind first look, images on record, the queue, refusals."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from tests.conftest import Tenant, photo
from tests.portal.conftest import Staff, sign_in, staff_create

pytestmark = pytest.mark.django_db

# Distinctive similarities, so a page that shows one is caught.
SIMILARITIES = {1: 0.8765, 2: 0.6543}
NOTE = "Compared ears, scar and hairline."


def a_finished_search(
    tenant: Tenant,
    requester: Any,
    probe: bytes | None = None,
    refs: tuple[str, str] = ("obama", "biden"),
) -> Any:
    """Return a search awaiting review: a sealed probe, ``refs`` at ranks 1 and 2."""
    from matching.biometric_bytes import probe_content_seal
    from matching.models import Candidate, Face, Probe, Search, SearchStatus, Subject
    from tenants.context import agency_transaction

    content = probe if probe is not None else photo("obama3.jpg")
    with agency_transaction(tenant.agency.id):
        search = Search.objects.create(
            agency=tenant.agency,
            gallery=tenant.gallery,
            requested_by=requester,
            status=SearchStatus.AWAITING_REVIEW,
            purpose="criminal_investigation",
            case_number="2026-777",
            justification="Robbery suspect on CCTV; no other leads.",
            probe_meta={},
            face_boxes=[{"x": 500, "y": 300, "w": 200, "h": 240}],
            face_choice=0,
        )
        held = Probe(
            search=search,
            agency=tenant.agency,
            content_type="image/jpeg",
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            width=1,
            height=1,
        )
        probe_content_seal(probe=held, content=content)
        held.save()
        for rank, ref in enumerate(refs, start=1):
            subject = Subject.objects.get(gallery=tenant.gallery, ref=ref)
            face = Face.objects.filter(agency_id=tenant.agency.id, subject_id=subject.pk).first()
            assert face is not None
            Candidate.objects.create(
                agency=tenant.agency,
                search=search,
                rank=rank,
                subject=subject,
                face_id=face.pk,
                distance=0.4,
                similarity=SIMILARITIES[rank],
            )
    return search


def signed(tenant: Tenant, role: str = "investigator", **kwargs: Any) -> tuple[Client, Staff]:
    staff = staff_create(tenant, role, **kwargs)
    client = Client()
    sign_in(client, staff)
    return client, staff


def confirm(client: Client, staff: Staff) -> None:
    """Confirm who one is again, as the sign-in's re-authentication page asks."""
    response = client.post("/accounts/reauthenticate/", {"password": staff.password})
    assert response.status_code == 302


def page_of(search: Any, rank: int = 1) -> str:
    return f"/searches/{search.id}/candidates/{rank}"


def review(client: Client, search: Any, rank: int, disposition: str, note: str = NOTE) -> Any:
    return client.post(page_of(search, rank), {"disposition": disposition, "note": note})


def events(tenant: Tenant, search: Any, action: str) -> list[Any]:
    from audit.models import AuditEvent
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return list(
            AuditEvent.objects.filter(
                agency_id=tenant.agency.id, object_id=str(search.id), action=action
            ).order_by("seq")
        )


def refusals(tenant: Tenant, path: str) -> int:
    from audit.models import AuditEvent
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return AuditEvent.objects.filter(
            agency_id=tenant.agency.id, action="request.refused", object_id=path[:80]
        ).count()


def disposition_of(tenant: Tenant, search: Any, rank: int) -> str:
    from matching.models import Candidate
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return Candidate.objects.get(search_id=search.id, rank=rank).disposition


@pytest.fixture
def requester(tenant_a: Tenant) -> tuple[Client, Staff]:
    return signed(tenant_a)


@pytest.fixture
def supervisor(tenant_a: Tenant) -> tuple[Client, Staff]:
    return signed(tenant_a, "supervisor")


def test_the_first_look_is_blind_then_shows_the_score_and_the_reviews(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    listing = client.get(f"/searches/{search.id}").content.decode()
    assert f'href="{page_of(search, 1)}"' in listing and f'href="{page_of(search, 2)}"' in listing
    assert "0.88" not in listing and "0.65" not in listing

    response = client.get(page_of(search))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'src="/searches/{search.id}/probe?part=face"' in page
    assert f'src="/searches/{search.id}/candidates/1/photo?part=face"' in page
    assert f'href="/searches/{search.id}/probe"' in page
    assert "Candidate 1 of 2" in page and "obama" in page
    assert "0.88" not in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'value="possible_match"' in page and 'name="note"' in page
    assert "Reviews so far" not in page
    assert "data-stage" not in page
    seen = events(tenant_a, search, "candidates.viewed")
    assert seen[-1].data["candidates"] == ["obama"] and seen[-1].data["rank"] == 1

    done = review(client, search, 1, "possible_match")
    assert done.status_code == 302 and done["Location"] == page_of(search)
    after = client.get(page_of(search)).content.decode()
    assert "0.88" in after
    assert "Reviews so far" in after and NOTE in after
    assert 'data-review="possible_match"' in after
    assert 'name="note"' not in after
    assert "You have recorded your review." in after
    assert disposition_of(tenant_a, search, 1) == "pending"
    listing = client.get(f"/searches/{search.id}").content.decode()
    assert "0.88" in listing and "0.65" not in listing


def test_the_images_are_the_sealed_bytes_served_on_record_and_never_cached(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    from matching.biometric_bytes import photo_content_open
    from matching.models import Face, SubjectPhoto
    from tenants.context import agency_transaction

    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    probe = client.get(f"/searches/{search.id}/probe")
    assert probe.status_code == 200
    assert probe["Content-Type"] == "image/jpeg"
    assert probe["Cache-Control"] == "no-store"
    assert probe["X-Content-Type-Options"] == "nosniff"
    assert probe.content == photo("obama3.jpg")
    viewed = events(tenant_a, search, "probe.viewed")
    assert len(viewed) == 1 and viewed[0].actor_id == staff.user.pk

    enrolled = client.get(f"/searches/{search.id}/candidates/2/photo")
    assert enrolled.status_code == 200
    assert enrolled["Cache-Control"] == "no-store"
    with agency_transaction(tenant_a.agency.id):
        face = Face.objects.get(agency_id=tenant_a.agency.id, id=_face_of(tenant_a, search, 2))
        held = SubjectPhoto.objects.get(id=face.photo_id)
        assert enrolled.content == photo_content_open(photo=held)
    assert Image.open(io.BytesIO(enrolled.content)).size == (held.width, held.height)
    shown = events(tenant_a, search, "candidate.photo_viewed")
    assert len(shown) == 1
    assert {k: shown[0].data[k] for k in ("rank", "subject", "photo")} == {
        "rank": 2,
        "subject": "biden",
        "photo": held.pk,
    }
    assert client.get(f"/searches/{search.id}/candidates/9/photo").status_code == 404


def test_the_faces_are_cropped_around_the_faces_the_search_compared(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    from matching.models import Face
    from tenants.context import agency_transaction

    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    probe = client.get(f"/searches/{search.id}/probe?part=face")
    assert probe.status_code == 200 and probe["Content-Type"] == "image/jpeg"
    assert probe["Cache-Control"] == "no-store"
    # The box (500, 300)-(700, 540) with half its larger side (120) around it.
    assert Image.open(io.BytesIO(probe.content)).size == (440, 480)
    enrolled = client.get(f"/searches/{search.id}/candidates/1/photo?part=face")
    assert enrolled.status_code == 200 and enrolled["Content-Type"] == "image/jpeg"
    with agency_transaction(tenant_a.agency.id):
        top, right, bottom, left = Face.objects.get(id=_face_of(tenant_a, search, 1)).box
    width, height = Image.open(io.BytesIO(enrolled.content)).size
    assert right - left <= width and bottom - top <= height
    assert "exif" not in Image.open(io.BytesIO(enrolled.content)).info
    parts = [e.data["part"] for e in events(tenant_a, search, "probe.viewed")]
    assert parts == ["face"]
    parts = [e.data["part"] for e in events(tenant_a, search, "candidate.photo_viewed")]
    assert parts == ["face"]


def _face_of(tenant: Tenant, search: Any, rank: int) -> int:
    from matching.models import Candidate
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return Candidate.objects.get(search_id=search.id, rank=rank).face_id


def test_a_discarded_probe_shows_a_placeholder_and_is_gone(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    from matching.searches.retention import probe_discard
    from tenants.context import agency_transaction

    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    with agency_transaction(tenant_a.agency.id):
        assert probe_discard(search, actor="system", reason="retention period ended")
    page = client.get(page_of(search)).content.decode()
    assert "The probe is no longer kept." in page
    assert 'data-probe="discarded"' in page
    assert f"/searches/{search.id}/probe" not in page
    assert f'src="/searches/{search.id}/candidates/1/photo?part=face"' in page
    assert client.get(f"/searches/{search.id}/probe").status_code == 410
    assert events(tenant_a, search, "probe.viewed") == []


@pytest.mark.parametrize("role", ["auditor", "agency_admin", "compliance_officer", "analyst"])
def test_roles_that_do_not_see_candidates_are_refused_on_record(
    tenant_a: Tenant, requester: tuple[Client, Staff], role: str
) -> None:
    _, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    client, _ = signed(tenant_a, role)
    for path in (page_of(search), f"/searches/{search.id}/probe", f"{page_of(search)}/photo"):
        assert client.get(path).status_code == 403, path
        assert refusals(tenant_a, path) == 1, path
    assert review(client, search, 1, "not_a_match").status_code == 403
    assert disposition_of(tenant_a, search, 1) == "pending"
    assert events(tenant_a, search, "probe.viewed") == []
    assert events(tenant_a, search, "candidate.photo_viewed") == []
    assert events(tenant_a, search, "candidates.viewed") == []


def test_another_agencys_candidate_is_not_found(
    tenant_a: Tenant, tenant_b: Tenant, requester: tuple[Client, Staff]
) -> None:
    foreign = staff_create(tenant_b)
    search = a_finished_search(tenant_b, foreign.user, refs=("obama", "obama"))
    client, _ = requester
    for path in (page_of(search), f"/searches/{search.id}/probe", f"{page_of(search)}/photo"):
        assert client.get(path).status_code == 404, path
    assert review(client, search, 1, "not_a_match").status_code == 404
    assert disposition_of(tenant_b, search, 1) == "pending"
    assert events(tenant_b, search, "probe.viewed") == []
    own = a_finished_search(tenant_a, requester[1].user)
    assert client.get(page_of(own, 3)).status_code == 404


def test_the_requesters_second_review_is_refused_with_the_services_message(
    tenant_a: Tenant, supervisor: tuple[Client, Staff]
) -> None:
    client, staff = signed(tenant_a, "investigator", also=("supervisor",))
    search = a_finished_search(tenant_a, staff.user)
    boss, _ = supervisor
    assert review(boss, search, 1, "possible_match").status_code == 302
    page = client.get(page_of(search)).content.decode()
    assert 'name="note"' not in page  # no review is offered to the requester
    assert "The second review is a supervisor's who did not request the search." in page
    confirm(client, staff)
    refused = review(client, search, 1, "possible_match")
    assert refused.status_code == 403
    body = refused.content.decode()
    assert "The requester cannot give a candidate&#x27;s second review." in body
    assert 'role="alert"' in body
    assert disposition_of(tenant_a, search, 1) == "pending"
    assert refusals(tenant_a, page_of(search)) == 1
    client.post("/i18n/setlang/", {"language": "fr-ca", "next": "/"})
    french = review(client, search, 1, "possible_match").content.decode()
    assert "Le demandeur ne peut pas donner le second examen d&#x27;un candidat." in french


def test_field_errors_are_shown_beside_the_fields(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    response = client.post(page_of(search), {"disposition": "identified", "note": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_disposition_errors"' in page and 'id="id_note_errors"' in page
    assert re.search(r'<textarea[^>]*aria-describedby="id_note_helptext id_note_errors"', page)
    assert "0.88" not in page
    assert disposition_of(tenant_a, search, 1) == "pending"


def test_a_supervisor_confirms_from_the_queue_and_the_search_is_reviewed(
    tenant_a: Tenant, requester: tuple[Client, Staff], supervisor: tuple[Client, Staff]
) -> None:
    from matching.models import Search
    from tenants.context import agency_transaction

    client, staff = requester
    boss, boss_staff = supervisor
    search = a_finished_search(tenant_a, staff.user)

    def queued(who: Client) -> list[tuple[int, str]]:
        page = who.get("/reviews").content.decode()
        return [
            (int(rank), kind.strip())
            for rank, kind in re.findall(
                rf'data-search="{search.id}" data-rank="(\d+)">([^<]+)<', page
            )
        ]

    assert queued(client) == [(1, "First review"), (2, "First review")]
    assert queued(boss) == [(1, "First review"), (2, "First review")]
    review(client, search, 1, "possible_match")
    assert queued(client) == [(2, "First review")]
    assert queued(boss) == [(1, "Second review"), (2, "First review")]
    blind = boss.get(page_of(search)).content.decode()
    assert "0.88" not in blind and NOTE not in blind and 'name="note"' in blind
    assert 'data-stage="second"' in blind and "data-review=" not in blind

    confirm(boss, boss_staff)
    assert review(boss, search, 1, "possible_match")["Location"] == page_of(search)
    assert disposition_of(tenant_a, search, 1) == "possible_match"
    assert review(boss, search, 2, "not_a_match")["Location"] == page_of(search, 2)
    assert queued(boss) == [] and queued(client) == []
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.get(id=search.id).status == "reviewed"
    confirmed = client.get(page_of(search)).content.decode()
    assert confirmed.count('class="disposition"') == 2
    assert boss_staff.user.username in confirmed and "(requester)" in confirmed
    dismissed = client.get(page_of(search, 2)).content.decode()
    assert "This candidate's review is complete." in dismissed
    assert dismissed.count('class="disposition"') == 1 and "0.65" in dismissed


def test_a_second_review_asks_the_reviewer_to_confirm_who_they_are_first(
    tenant_a: Tenant, requester: tuple[Client, Staff], supervisor: tuple[Client, Staff]
) -> None:
    client, staff = requester
    boss, boss_staff = supervisor
    search = a_finished_search(tenant_a, staff.user)
    # The first review decides nothing alone: no confirmation is asked.
    assert review(client, search, 1, "possible_match")["Location"] == page_of(search)
    second = review(boss, search, 1, "possible_match")
    assert second["Location"].startswith("/accounts/reauthenticate/")
    assert disposition_of(tenant_a, search, 1) == "pending"
    assert len(events(tenant_a, search, "candidate.reviewed")) == 1
    confirm(boss, boss_staff)
    assert review(boss, search, 1, "possible_match")["Location"] == page_of(search)
    assert disposition_of(tenant_a, search, 1) == "possible_match"


def test_the_queue_offers_only_reviews_the_service_accepts(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    from matching.review_reads import review_queue
    from matching.reviews import candidate_review
    from tenants.errors import ApiError

    _, staff = requester
    both = staff_create(tenant_a, "investigator", also=("supervisor",))
    other = staff_create(tenant_a, "supervisor")
    analyst = staff_create(tenant_a, "analyst")
    mine = a_finished_search(tenant_a, both.user)
    theirs = a_finished_search(tenant_a, staff.user)
    candidate_review(
        user=other.user,
        search_id=mine.id,
        rank=1,
        disposition="possible_match",
        note=NOTE,
        mfa_verified=True,
    )

    def owed(who: Staff) -> set[tuple[str, int]]:
        rows = review_queue(user=who.user).rows
        return {(str(r.search_id), r.rank) for r in rows} & {
            (str(s.id), rank) for s in (mine, theirs) for rank in (1, 2)
        }

    offered = owed(both)
    assert offered == {(str(mine.id), 2), (str(theirs.id), 1), (str(theirs.id), 2)}
    assert owed(analyst) == set()
    assert owed(staff) == {(str(theirs.id), 1), (str(theirs.id), 2)}
    with pytest.raises(ApiError) as refused:
        candidate_review(
            user=both.user,
            search_id=mine.id,
            rank=1,
            disposition="possible_match",
            note=NOTE,
            mfa_verified=True,
        )
    assert refused.value.error_code == "requester_cannot_confirm"
    for search_id, rank in sorted(offered):
        candidate_review(
            user=both.user,
            search_id=uuid.UUID(search_id),
            rank=rank,
            disposition="inconclusive",
            note=NOTE,
            mfa_verified=True,
        )
    assert owed(both) == set()


def test_the_queue_is_in_the_navigation_only_of_roles_that_review(tenant_a: Tenant) -> None:
    for role, shown in (
        ("investigator", True),
        ("supervisor", True),
        ("analyst", True),
        ("auditor", False),
        ("agency_admin", False),
        ("compliance_officer", False),
    ):
        client, _ = signed(tenant_a, role)
        home = client.get("/").content.decode()
        assert ('href="/reviews"' in home) is shown, role
        assert client.get("/reviews").status_code == (200 if shown else 404), role


def test_review_pages_forbid_caching_and_inline_scripts(
    tenant_a: Tenant, requester: tuple[Client, Staff]
) -> None:
    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    for url in (page_of(search), "/reviews"):
        response = client.get(url)
        assert response["Cache-Control"] == "no-store", url
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        body = response.content.decode()
        assert "<script>" not in body and " style=" not in body, url


@pytest.mark.parametrize("change", ["quarantined", "running"])
def test_withheld_results_show_no_candidate_and_no_image(
    tenant_a: Tenant, requester: tuple[Client, Staff], change: str
) -> None:
    from django.utils import timezone

    from matching.models import Search
    from tenants.context import agency_transaction

    client, staff = requester
    search = a_finished_search(tenant_a, staff.user)
    with agency_transaction(tenant_a.agency.id):
        if change == "quarantined":
            Search.objects.filter(id=search.id).update(quarantined_at=timezone.now())
        else:
            Search.objects.filter(id=search.id).update(status="running")
    for path in (page_of(search), f"/searches/{search.id}/probe", f"{page_of(search)}/photo"):
        assert client.get(path).status_code == 404, path
    assert review(client, search, 1, "possible_match").status_code == 404
    assert client.get("/reviews").content.decode().count(f'data-search="{search.id}"') == 0
    assert events(tenant_a, search, "probe.viewed") == []
    assert events(tenant_a, search, "candidate.photo_viewed") == []
