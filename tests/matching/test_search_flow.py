"""The gated search end to end: API → policy → worker → candidates, on the real parts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from audit.models import AuditEvent
from matching.models import Probe, Search, SearchStatus
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, search_fields, side_by_side, wait_for

pytestmark = pytest.mark.worker


def submit(
    tenant: Tenant,
    image: bytes,
    role: str = "investigator",
    name: str = "probe.jpg",
    content_type: str = "image/jpeg",
    **overrides: Any,
) -> Any:
    upload = io.BytesIO(image)
    upload.name = name
    return tenant.client(role).post(
        "/api/v1/searches", {**search_fields(**overrides), "probe": upload}, format="multipart"
    )


def finished(tenant: Tenant, search_id: str) -> dict[str, Any] | None:
    body = tenant.client().get(f"/api/v1/searches/{search_id}").json()
    done = {SearchStatus.AWAITING_REVIEW, SearchStatus.FAILED, SearchStatus.AWAITING_FACE_CHOICE}
    return body if body["status"] in done else None


def actions(tenant: Tenant, search_id: str) -> list[str]:
    with agency_transaction(tenant.agency.id):
        return list(
            AuditEvent.objects.filter(agency_id=tenant.agency.id, object_id=search_id)
            .order_by("seq")
            .values_list("action", flat=True)
        )


class FaceSpy:
    """Record every detection and encoding the worker performs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import matching.faces as faces

        self.detected = 0
        self.encoded: list[Any] = []
        real_detect, real_encode = faces.faces_detect, faces.face_encode

        def detect(pixels: Any) -> Any:
            self.detected += 1
            return real_detect(pixels)

        def encode(pixels: Any, box: Any) -> Any:
            self.encoded.append(box)
            return real_encode(pixels, box)

        monkeypatch.setattr(faces, "faces_detect", detect)
        monkeypatch.setattr(faces, "face_encode", encode)


def test_allowed_search_returns_the_enrolled_subject(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    response = submit(tenant_a, photo("obama3.jpg"))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == SearchStatus.QUEUED
    assert created["decision"]["allow"] is True
    assert "authority_no_warrant_required" in [r["code"] for r in created["decision"]["reasons"]]

    body = wait_for(lambda: finished(tenant_a, created["id"]))
    assert body["status"] == SearchStatus.AWAITING_REVIEW, body["error"]
    top = body["candidates"][0]
    assert top["subject_ref"] == "obama"
    assert top["rank"] == 1
    assert top["similarity"] >= body["limits"]["min_similarity"]
    assert all(c["subject_ref"] != "biden" for c in body["candidates"])
    refs = [c["subject_ref"] for c in body["candidates"]]
    assert len(refs) == len(set(refs)), "one candidate per person, at their nearest photo"
    assert len(body["candidates"]) <= body["limits"]["max_candidates"] == 20
    assert body["model"]["name"] == "dlib_face_recognition_resnet_model_v1"
    assert body["model"]["version"].startswith("fr-1.3.0")
    assert actions(tenant_a, created["id"]) == [
        "search.submitted",
        "search.queued",
        "search.started",
        "search.completed",
        "candidates.viewed",
    ]
    with agency_transaction(tenant_a.agency.id):
        seen = AuditEvent.objects.get(object_id=created["id"], action="candidates.viewed")
        completed = AuditEvent.objects.get(object_id=created["id"], action="search.completed")
    assert seen.actor == tenant_a.users["investigator"].username
    assert seen.data["candidates"] == [c["subject_ref"] for c in body["candidates"]]
    # The completion records the similarities as numbers only, for oversight's distribution.
    assert completed.data["similarities"] == [round(c["similarity"], 3) for c in body["candidates"]]


def test_denied_search_never_decodes_the_probe(
    committed: None, celery_worker: Any, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = FaceSpy(monkeypatch)
    response = submit(tenant_a, photo("obama3.jpg"), purpose="protest_monitoring")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == SearchStatus.DENIED
    assert body["decision"]["allow"] is False
    assert "purpose_prohibited" in [r["code"] for r in body["decision"]["reasons"]]
    assert body["candidates"] == []

    # Give the worker a chance to (wrongly) run anything, then check it never did.
    allowed = submit(tenant_a, photo("biden.jpg"))
    wait_for(lambda: finished(tenant_a, allowed.json()["id"]))
    with agency_transaction(tenant_a.agency.id):
        search = Search.objects.get(id=body["id"])
        probe = Probe.objects.get(search=search)
    assert search.status == SearchStatus.DENIED
    assert probe.content is None and probe.deleted_at is not None
    assert spy.detected == 1 and len(spy.encoded) == 1  # only the allowed search
    assert actions(tenant_a, body["id"]) == ["search.submitted", "search.denied", "probe.discarded"]


def test_several_faces_wait_for_a_choice_and_encode_only_the_chosen_one(
    committed: None, celery_worker: Any, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = FaceSpy(monkeypatch)
    group = side_by_side("obama3.jpg", "biden.jpg")
    created = submit(tenant_a, group).json()
    body = wait_for(lambda: finished(tenant_a, created["id"]))
    assert body["status"] == SearchStatus.AWAITING_FACE_CHOICE
    assert len(body["faces"]) == 2
    assert spy.encoded == []

    faces = body["faces"]
    left = min(range(2), key=lambda i: faces[i]["x"])  # Obama is on the left
    chosen = tenant_a.client().post(
        f"/api/v1/searches/{created['id']}/face-choice", {"face": left}, format="json"
    )
    assert chosen.status_code == 202, chosen.content
    body = wait_for(
        lambda: (
            (b := finished(tenant_a, created["id"]))
            and b["status"] != SearchStatus.AWAITING_FACE_CHOICE
            and b
        )
    )
    assert body["status"] == SearchStatus.AWAITING_REVIEW
    assert body["candidates"][0]["subject_ref"] == "obama"
    assert len(spy.encoded) == 1
    assert body["face_choice"] == left
    assert spy.encoded[0].left == faces[left]["x"]


def test_face_named_up_front_is_searched_without_waiting(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    group = side_by_side("obama3.jpg", "biden.jpg")
    width = Image.open(io.BytesIO(group)).width
    hint = f'{{"x": {width // 2 + 10}, "y": 0, "w": {width // 2 - 20}, "h": 440}}'
    created = submit(tenant_a, group, face_hint=hint).json()
    body = wait_for(lambda: finished(tenant_a, created["id"]))
    assert body["status"] == SearchStatus.AWAITING_REVIEW
    assert body["candidates"][0]["subject_ref"] == "biden"


def test_exif_orientation_is_honoured(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    upright = Image.open(io.BytesIO(photo("obama3.jpg")))
    rotated = upright.rotate(90, expand=True)  # stored sideways …
    exif = Image.Exif()
    exif[0x0112] = 6  # … with the tag that tells viewers to turn it back
    out = io.BytesIO()
    rotated.save(out, format="JPEG", exif=exif, quality=92)
    created = submit(tenant_a, out.getvalue()).json()
    body = wait_for(lambda: finished(tenant_a, created["id"]))
    assert body["status"] == SearchStatus.AWAITING_REVIEW, body["error"]
    assert body["candidates"][0]["subject_ref"] == "obama"


def test_probe_without_a_face_fails_with_a_reason(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    blank = Image.new("RGB", (320, 240), (120, 160, 200))
    out = io.BytesIO()
    blank.save(out, format="PNG")
    created = submit(tenant_a, out.getvalue(), name="blank.png", content_type="image/png").json()
    body = wait_for(lambda: finished(tenant_a, created["id"]))
    assert body["status"] == SearchStatus.FAILED
    assert body["error"]["code"] == "no_face_detected"
