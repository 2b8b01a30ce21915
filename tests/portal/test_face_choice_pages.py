"""The choice among a probe's faces on the search page: boxes, the picture, the choice, refusals."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from tenants.context import agency_transaction
from tests.conftest import Tenant, side_by_side
from tests.portal.conftest import Staff, sign_in, staff_create
from tests.portal.test_pages import form_fields, searches_of

pytestmark = pytest.mark.django_db
GROUP = side_by_side("obama3.jpg", "biden.jpg")


def awaiting_choice(client: Client, staff: Staff) -> Any:
    """Submit a two-face probe through the portal and run the search to the face choice."""
    from matching.searches import search_execute

    probe = SimpleUploadedFile("group.jpg", GROUP, content_type="image/jpeg")
    response = client.post("/searches/new", {**form_fields(), "probe": probe})
    assert response.status_code == 302
    search = searches_of(staff)[0]
    search_execute(agency_id=staff.user.agency_id, search_id=search.id)
    search = searches_of(staff)[0]
    assert search.status == "awaiting_face_choice", search.error_message
    return search


def probe_views(agency_id: str, search_id: Any, action: str = "probe.viewed") -> int:
    with agency_transaction(agency_id):
        return AuditEvent.objects.filter(
            agency_id=agency_id, action=action, object_id=str(search_id)
        ).count()


def boxes_on_page(page: str) -> list[dict[str, float]]:
    found = re.findall(
        r'<rect data-face="(\d)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"',
        page,
    )
    return [
        {"face": int(f), "x": float(x), "y": float(y), "w": float(w), "h": float(h)}
        for f, x, y, w, h in found
    ]


def test_the_page_outlines_each_face_with_a_labelled_choice_and_stops_polling(
    signed_in: tuple[Client, Staff],
) -> None:
    client, staff = signed_in
    search = awaiting_choice(client, staff)
    page = client.get(f"/searches/{search.id}").content.decode()
    assert "Face 1 of 2" in page and "Face 2 of 2" in page
    assert page.count('type="radio" name="face"') == 2
    assert f'src="/searches/{search.id}/probe-to-choose"' in page
    assert "hx-get" not in page  # the person is choosing: nothing replaces the form
    assert " style=" not in page
    boxes = boxes_on_page(page)
    width, height = Image.open(io.BytesIO(GROUP)).size
    assert sorted(b["face"] for b in boxes) == [0, 1]
    assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)  # numbered left to right
    for drawn in boxes:
        detected = search.face_boxes[drawn["face"]]
        assert drawn["x"] == pytest.approx(detected["x"] / width * 100, abs=0.01)
        assert drawn["y"] == pytest.approx(detected["y"] / height * 100, abs=0.01)
        assert drawn["w"] == pytest.approx(detected["w"] / width * 100, abs=0.01)
        assert 0 < drawn["x"] + drawn["w"] <= 100 and 0 < drawn["y"] + drawn["h"] <= 100
    # Placing the boxes opens the probe's header (on record); the picture is not served yet.
    assert probe_views(staff.user.agency_id, search.id, "probe.opened") == 1
    assert probe_views(staff.user.agency_id, search.id) == 0


def test_the_picture_is_upright_without_metadata_never_cached_and_audited(
    signed_in: tuple[Client, Staff],
) -> None:
    client, staff = signed_in
    search = awaiting_choice(client, staff)
    response = client.get(f"/searches/{search.id}/probe-to-choose")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.size == Image.open(io.BytesIO(GROUP)).size
    assert not picture.getexif()
    with agency_transaction(staff.user.agency_id):
        event = AuditEvent.objects.get(action="probe.viewed", object_id=str(search.id))
    assert event.actor == staff.user.username
    assert event.data["status"] == "awaiting_face_choice"


def test_choosing_the_left_face_searches_it(signed_in: tuple[Client, Staff]) -> None:
    from matching.searches import search_execute

    client, staff = signed_in
    search = awaiting_choice(client, staff)
    left = min(range(2), key=lambda i: search.face_boxes[i]["x"])
    response = client.post(f"/searches/{search.id}/face", {"face": str(left)})
    assert response.status_code == 302
    assert response["Location"] == f"/searches/{search.id}"
    chosen = searches_of(staff)[0]
    assert (chosen.status, chosen.face_choice) == ("queued", left)
    # A second choice finds the search moved on and says so on its page.
    again = client.post(f"/searches/{search.id}/face", {"face": str(1 - left)})
    assert again["Location"] == f"/searches/{search.id}"
    assert (
        "This search no longer awaits a face choice."
        in client.get(again["Location"]).content.decode()
    )
    assert searches_of(staff)[0].face_choice == left
    search_execute(agency_id=staff.user.agency_id, search_id=search.id)
    page = client.get(f"/searches/{search.id}").content.decode()
    assert searches_of(staff)[0].status == "awaiting_review"
    first = re.search(r"<tbody>\s*<tr>\s*<td>1</td>\s*<td>([^<]+)", page)
    assert first is not None and first.group(1).strip() == "obama"


def test_a_face_out_of_range_is_refused_on_the_page(signed_in: tuple[Client, Staff]) -> None:
    client, staff = signed_in
    search = awaiting_choice(client, staff)
    for junk in ("", "²", "-1"):
        refused = client.post(f"/searches/{search.id}/face", {"face": junk})
        assert refused.status_code == 400, junk
    response = client.post(f"/searches/{search.id}/face", {"face": "7"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose one of the outlined faces." in page
    assert 'aria-describedby="face-choice-error"' in page
    assert searches_of(staff)[0].status == "awaiting_face_choice"


def test_an_untrained_supervisor_sees_the_services_refusal(
    signed_in: tuple[Client, Staff], tenant_a: Tenant
) -> None:
    client, staff = signed_in
    search = awaiting_choice(client, staff)
    supervisor = staff_create(tenant_a, "supervisor", trained=False)
    other = Client()
    sign_in(other, supervisor)
    assert other.get(f"/searches/{search.id}/probe-to-choose").status_code == 200
    response = other.post(f"/searches/{search.id}/face", {"face": "0"})
    assert response.status_code == 403
    assert "Current facial recognition training is required" in response.content.decode()
    assert searches_of(staff)[0].status == "awaiting_face_choice"


def test_who_may_not_see_the_probe(
    signed_in: tuple[Client, Staff], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    client, staff = signed_in
    search = awaiting_choice(client, staff)
    colleague, auditor, foreign = Client(), Client(), Client()
    sign_in(colleague, staff_create(tenant_a))
    sign_in(auditor, staff_create(tenant_a, "auditor"))
    sign_in(foreign, staff_create(tenant_b))
    # Another investigator: not their search.
    assert colleague.get(f"/searches/{search.id}/probe-to-choose").status_code == 403
    assert colleague.post(f"/searches/{search.id}/face", {"face": "0"}).status_code == 403
    # An auditor reads the record, not the probe, and cannot choose.
    page = auditor.get(f"/searches/{search.id}").content.decode()
    assert "the requester or a supervisor chooses" in page
    assert "/probe-to-choose" not in page
    assert auditor.get(f"/searches/{search.id}/probe-to-choose").status_code == 403
    # Another agency: not found at all.
    assert foreign.get(f"/searches/{search.id}/probe-to-choose").status_code == 404
    assert foreign.post(f"/searches/{search.id}/face", {"face": "0"}).status_code == 404
    assert probe_views(staff.user.agency_id, search.id) == 0
    assert probe_views(staff.user.agency_id, search.id, "probe.opened") == 0
    assert searches_of(staff)[0].status == "awaiting_face_choice"
