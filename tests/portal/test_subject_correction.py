"""Correcting a gallery subject's display name: agency admins, with a reason, audited in the
same transaction, nothing written on a bad value, another agency's subject not found."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditEvent
from matching.subject_corrections import (
    CORRECTION_FIELD_INVALID,
    SubjectCorrection,
    subject_correct,
)
from tenants.errors import ApiError
from tests.conftest import Tenant
from tests.portal.test_legal_pages import confirm, enrolled, events, fresh, signed, url

pytestmark = pytest.mark.django_db

CORRECTION = {"display_name": "Ann Person-Smith", "reason": "Misspelt at booking; see file 4411."}


def corrections(tenant: Tenant, subject: Any) -> list[AuditEvent]:
    return events(tenant.agency.id, "subject.corrected", str(subject.pk))


def test_an_admin_corrects_a_subjects_name_with_a_reason(tenant_a: Tenant) -> None:
    client, staff = signed(tenant_a, "agency_admin")
    subject = enrolled(tenant_a)
    page = client.get(url(subject)).content.decode()
    assert "correction-form" in page and 'value="A. Person"' in page
    response = client.post(url(subject, "/correction"), CORRECTION)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert fresh(tenant_a, subject).display_name == "A. Person"
    confirm(client, staff)
    response = client.post(url(subject, "/correction"), CORRECTION)
    assert response.status_code == 302 and response["Location"] == url(subject)
    assert fresh(tenant_a, subject).display_name == "Ann Person-Smith"
    (event,) = corrections(tenant_a, subject)
    assert event.actor == staff.user.username
    assert event.data["reason"] == CORRECTION["reason"]
    assert event.data["display_name"] == {
        "previous": "A. Person",
        "corrected": "Ann Person-Smith",
    }
    assert "Ann Person-Smith" in client.get(url(subject)).content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"display_name": "x" * 201, "reason": "Too long."}, "display_name"),
        ({"display_name": "Line\nbreak", "reason": "Two lines."}, "display_name"),
        ({"display_name": "Ann Person", "reason": ""}, "reason"),
        ({"display_name": "A. Person", "reason": "Nothing changes."}, "display_name"),
    ],
)
def test_a_bad_correction_writes_nothing(
    tenant_a: Tenant, fields: dict[str, str], field: str
) -> None:
    client, staff = signed(tenant_a, "agency_admin")
    subject = enrolled(tenant_a)
    confirm(client, staff)
    response = client.post(url(subject, "/correction"), fields)
    assert response.status_code == 400
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert fresh(tenant_a, subject).display_name == "A. Person"
    assert corrections(tenant_a, subject) == []


def test_the_service_refuses_a_bad_value_before_writing(tenant_a: Tenant) -> None:
    subject = enrolled(tenant_a)
    admin = tenant_a.users["agency_admin"]
    with pytest.raises(ApiError) as refused:
        subject_correct(
            user=admin,
            gallery_slug=subject.gallery.slug,
            subject_id=subject.pk,
            correction=SubjectCorrection(display_name="Tab\there", reason="Typo."),
        )
    assert refused.value.error_code == CORRECTION_FIELD_INVALID
    assert refused.value.fields == {"display_name": "invalid"}
    assert fresh(tenant_a, subject).display_name == "A. Person"
    assert corrections(tenant_a, subject) == []


def test_other_roles_and_other_agencies_cannot_correct(tenant_a: Tenant, tenant_b: Tenant) -> None:
    subject = enrolled(tenant_a)
    for role in ("compliance_officer", "auditor"):
        client, staff = signed(tenant_a, role)
        assert "correction-form" not in client.get(url(subject)).content.decode()
        confirm(client, staff)
        assert client.post(url(subject, "/correction"), CORRECTION).status_code == 404, role
    foreign, foreign_staff = signed(tenant_b, "agency_admin")
    # Not found before any confirmation is asked for, and after.
    assert foreign.post(url(subject, "/correction"), CORRECTION).status_code == 404
    confirm(foreign, foreign_staff)
    assert foreign.post(url(subject, "/correction"), CORRECTION).status_code == 404
    same_slug = f"/agency/galleries/booking/subjects/{subject.pk}/correction"
    assert foreign.post(same_slug, CORRECTION).status_code == 404
    with pytest.raises(ApiError) as refused:
        subject_correct(
            user=foreign_staff.user,
            gallery_slug=subject.gallery.slug,
            subject_id=subject.pk,
            correction=SubjectCorrection(display_name="B", reason="Not ours."),
        )
    assert refused.value.status_code == 404
    assert fresh(tenant_a, subject).display_name == "A. Person"
    assert corrections(tenant_a, subject) == []
