"""Gallery records purged on legal events: what goes, what stays, holds, imports, certificates."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from audit.models import AuditEvent
from datakeys.services import DataKeyDestroyedError, key_store, sealed_aad
from matching.biometric_bytes import (
    photo_content_open,
    photo_content_seal,
    photo_purpose,
    upload_content_seal,
)
from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.gallery_purge import subjects_purge_due
from matching.gallery_vectors import gallery_vectors_load, gallery_vectors_sync
from matching.held_photos import held_photo_keep
from matching.legal_events import legal_events_import
from matching.models import (
    DeletionCertificate,
    EnrollmentBatch,
    EnrollmentStatus,
    EnrollmentUpload,
    Face,
    HeldPhoto,
    LegalEvent,
    Subject,
    SubjectPhoto,
)
from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.matching.test_erasure import opens, remaining_keys, unique_probe

# Every column that can hold an image or an embedding, and the table's link to the subject.
BIOMETRIC_COLUMNS = {
    ("matching_face", "embedding"): "subject_id",
    ("matching_subjectphoto", "content"): "subject_id",
    ("matching_enrollmentupload", "content"): "subject_ref",
    ("matching_heldphoto", "content"): "subject_ref",
    ("matching_heldphoto", "embeddings_sealed"): "subject_ref",
}
# Probes are the searcher's images, never a gallery record (their retention is the search's);
# authority records hold the warrant's or approval's document.
NOT_GALLERY_RECORDS = {
    ("matching_probe", "content"),
    ("authorizations_warrant", "document"),
    ("authorizations_exigentapproval", "document"),
    ("authorizations_interagencyagreement", "document"),
}


def a_subject(tenant: Tenant, *, photos: int = 1, gallery: Any = None) -> Subject:
    """Enroll a new subject with sealed photos and one face each (random embeddings)."""
    agency_id = tenant.agency.id
    gallery = gallery or tenant.gallery
    with agency_transaction(agency_id):
        subject = Subject.objects.create(
            agency_id=agency_id,
            gallery=gallery,
            ref=f"le-{uuid.uuid4().hex[:10]}",
            display_name="Test Person",
        )
        for _ in range(photos):
            content = unique_probe()
            photo = SubjectPhoto(
                agency_id=agency_id,
                subject=subject,
                sha256=hashlib.sha256(content).hexdigest(),
                content_type="image/jpeg",
                width=10,
                height=10,
            )
            photo_content_seal(photo=photo, content=content)
            photo.save(force_insert=True)
            Face.objects.create(
                agency_id=agency_id,
                gallery=gallery,
                subject=subject,
                photo=photo,
                embedding=[random.random() for _ in range(128)],
                box=[0, 10, 10, 0],
                model_name="test",
                model_version="1",
            )
    return subject


def held_and_pending(tenant: Tenant, subject: Subject) -> tuple[HeldPhoto, EnrollmentUpload]:
    """A photo held for the subject's reference and an upload for it not yet enrolled."""
    agency_id = tenant.agency.id
    with agency_transaction(agency_id):
        held = HeldPhoto(
            agency_id=agency_id,
            gallery=subject.gallery,
            subject_ref=subject.ref,
            filename="two.jpg",
            sha256=uuid.uuid4().hex,
            width=10,
            height=10,
            boxes=[[0, 5, 5, 0], [0, 10, 10, 5]],
            model_name="test",
            model_version="1",
        )
        assert held_photo_keep(
            held=held, content=unique_probe(), embeddings=[[0.5] * 128, [0.25] * 128]
        )
        batch = EnrollmentBatch.objects.create(
            agency_id=agency_id, gallery=subject.gallery, status=EnrollmentStatus.DONE
        )
        upload = EnrollmentUpload(
            agency_id=agency_id,
            batch=batch,
            subject_ref=subject.ref,
            filename="later.jpg",
            sha256=uuid.uuid4().hex,
        )
        upload_content_seal(upload=upload, content=unique_probe())
        upload.save(force_insert=True)
    return held, upload


def event_body(subject: Subject, kind: str = "acquittal", **overrides: Any) -> dict[str, Any]:
    body = {
        "subject_ref": subject.ref,
        "kind": kind,
        "date": str(timezone.localdate()),
        "reference": "ONCJ 4811-26",
        "note": "Acquitted at trial.",
    }
    body.update(overrides)
    return body


def biometric_rows(agency_id: str, subject: Subject) -> dict[str, int]:
    """Count, per column that can hold an image or an embedding, the subject's rows."""
    counts = {}
    with agency_transaction(agency_id), connection.cursor() as cursor:
        for (table, column), link in BIOMETRIC_COLUMNS.items():
            value = subject.pk if link == "subject_id" else subject.ref
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE {link} = %s "  # noqa: S608 - fixed names
                f"AND {column} IS NOT NULL",
                [value],
            )
            row = cursor.fetchone()
            counts[f"{table}.{column}"] = int(row[0]) if row else -1
    return counts


def test_every_column_able_to_hold_biometrics_is_checked(committed: None) -> None:
    """A new table with an image or a vector fails here until the purge test checks it."""
    with connections["owner"].cursor() as cursor:  # the app role sees only what it may read
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN pg_class t ON t.relname = c.table_name AND NOT t.relispartition "
            "WHERE c.table_schema = 'public' AND (c.udt_name IN ('vector', 'bytea') "
            "OR (c.udt_name = 'jsonb' AND c.column_name LIKE '%%embedding%%'))"
        )
        found = set(cursor.fetchall())
    assert found == set(BIOMETRIC_COLUMNS) | NOT_GALLERY_RECORDS
    # The face change log that in-memory galleries follow holds ids, never a vector.
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'matching_face_change' ORDER BY ordinal_position"
        )
        assert [c for (c,) in cursor.fetchall()] == [
            "id",
            "agency_id",
            "gallery_id",
            "face_id",
            "xid",
            "created_at",
        ]


def test_an_acquittal_purges_the_subject_and_leaves_nothing_readable(
    committed: None, tenant_a: Tenant
) -> None:
    agency_id = tenant_a.agency.id
    subject = a_subject(tenant_a, photos=2)
    held, upload = held_and_pending(tenant_a, subject)
    with agency_transaction(agency_id):
        photos = list(SubjectPhoto.objects.filter(subject=subject).order_by("id"))
        faces = list(
            Face.objects.filter(agency_id=agency_id, subject_id=subject.pk).values_list(
                "id", flat=True
            )
        )
        follower = gallery_vectors_load(
            agency_id=agency_id, gallery_id=subject.gallery_id, max_faces=100_000
        )
    assert all(photo_content_open(photo=p) for p in photos)
    assert set(faces) <= {int(i) for i in follower.ids}
    assert set(biometric_rows(agency_id, subject).values()) == {1, 2}

    response = tenant_a.client("compliance_officer").post(
        "/api/v1/legal-events", event_body(subject), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "purged"
    certificate = body["certificate"]
    assert certificate["subject_ref"] == subject.ref
    assert (
        certificate["photos_deleted"],
        certificate["faces_deleted"],
        certificate["held_photos_deleted"],
        certificate["uploads_deleted"],
    ) == (2, 2, 1, 1)
    assert certificate["photo_sha256"] == [p.sha256 for p in photos]
    assert certificate["event_kind"] == "acquittal"
    assert certificate["event_reference"] == "ONCJ 4811-26"
    assert certificate["rule_id"] == "R-ACQUITTAL"
    assert "Identification of Criminals Act" in certificate["citation"]
    assert certificate["deleted_by"] == tenant_a.users["compliance_officer"].username

    # No table holds an image or an embedding of the subject any more.
    assert set(biometric_rows(agency_id, subject).values()) == {0}
    with agency_transaction(agency_id):
        tombstone = Subject.objects.get(pk=subject.pk)
        assert tombstone.purged_at is not None and tombstone.display_name == ""
        assert not HeldPhoto.objects.filter(id=held.id).exists()
        # The change log names every deleted face, so workers' held galleries drop them.
        logged = set(
            connection.cursor()
            .execute("SELECT face_id FROM matching_face_change WHERE face_id = ANY(%s)", [faces])
            .fetchall()
        )
        assert {f for (f,) in logged} == set(faces)
        assert gallery_vectors_sync(
            held=follower, agency_id=agency_id, gallery_id=subject.gallery_id
        )
    live = {int(i) for i, n in zip(follower.ids, follower.norms, strict=True) if np.isfinite(n)}
    assert not set(faces) & live
    # The photos' data keys are destroyed: the sealed bytes (in WAL, backups) cannot be opened.
    for photo in [*photos]:
        assert photo.content_key is not None
        with pytest.raises(DataKeyDestroyedError):
            key_store().get(agency_id=agency_id, key_id=photo.content_key)
        with pytest.raises(DataKeyDestroyedError):
            photo_content_open(photo=photo)
        assert not list(Path(settings.DATAKEY_STORE_DIR).rglob(f"{photo.content_key}.key"))
        aad = sealed_aad(agency_id, photo.content_key, photo_purpose(subject.pk, photo.sha256))
        assert not any(opens(bytes(photo.content), key, aad) for key in remaining_keys())
    assert upload.content_key is not None
    with pytest.raises(DataKeyDestroyedError):
        key_store().get(agency_id=agency_id, key_id=upload.content_key)
    assert held.content_key is not None  # the held photo's bytes and bystanders' embeddings
    with pytest.raises(DataKeyDestroyedError):
        key_store().get(agency_id=agency_id, key_id=held.content_key)
    # The audit chain has the recording and the purge; neither names the subject.
    with agency_transaction(agency_id):
        events = {
            e.action: e.data
            for e in AuditEvent.objects.filter(
                agency_id=agency_id, action__in=["legal_event.recorded", "subject.purged"]
            )
            if e.data.get("subject_id") == subject.pk or e.object_id == str(subject.pk)
        }
    assert events["subject.purged"]["certificate"] == certificate["id"]
    assert events["legal_event.recorded"]["outcome"] == "purged"
    assert subject.ref not in str(events)


def test_a_purged_subject_takes_no_photo_again(committed: None, tenant_a: Tenant) -> None:
    subject = a_subject(tenant_a)
    response = tenant_a.client("agency_admin").post(
        "/api/v1/legal-events", event_body(subject, "record_suspension"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["certificate"]["citation"].startswith(
        "Criminal Records Act, R.S.C. 1985, c. C-47, s. 6(2)"
    )
    with (
        pytest.raises(DatabaseError, match="was purged"),
        transaction.atomic(),
        agency_transaction(tenant_a.agency.id),
    ):
        SubjectPhoto.objects.create(
            agency_id=tenant_a.agency.id,
            subject=subject,
            sha256="0" * 64,
            content=b"x",
            content_type="image/jpeg",
            width=1,
            height=1,
        )
    with (
        pytest.raises(DatabaseError, match="was purged"),
        transaction.atomic(),
        agency_transaction(tenant_a.agency.id),
    ):
        HeldPhoto.objects.create(
            agency_id=tenant_a.agency.id,
            gallery=subject.gallery,
            subject_ref=subject.ref,
            filename="two.jpg",
            sha256="2" * 64,
            content=b"x",
            width=1,
            height=1,
            boxes=[],
            model_name="test",
            model_version="1",
        )
    batch = enrollment_batch_create(
        gallery=tenant_a.gallery,
        enqueue=False,
        items=[UploadItem(subject_ref=subject.ref, filename="new.jpg", content=unique_probe())],
    )
    enrollment_batch_process(agency_id=tenant_a.agency.id, batch_id=batch.id)
    with agency_transaction(tenant_a.agency.id):
        results = EnrollmentBatch.objects.get(id=batch.id).results
        assert not EnrollmentUpload.objects.filter(batch_id=batch.id).exists()
    assert [(r["status"], r["reason"]) for r in results] == [("rejected", "subject_purged")]
    again = tenant_a.client("agency_admin").post(
        "/api/v1/legal-events", event_body(subject, "acquittal"), format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "subject_purged"
    listed = (
        tenant_a.client("agency_admin")
        .get(f"/api/v1/galleries/booking/subjects?ref={subject.ref}")
        .json()
    )
    assert listed["results"] == []


def test_a_hold_stops_the_purge_until_lifted(committed: None, tenant_a: Tenant) -> None:
    agency_id = tenant_a.agency.id
    subject = a_subject(tenant_a)
    officer = tenant_a.client("compliance_officer")
    hold = officer.post(
        "/api/v1/legal-holds",
        {"subject_ref": subject.ref, "reason": "Civil claim 26-CV-1182 pending."},
        format="json",
    )
    assert hold.status_code == 201, hold.content
    twice = officer.post(
        "/api/v1/legal-holds", {"subject_ref": subject.ref, "reason": "Again."}, format="json"
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "legal_hold_exists"
    recorded = officer.post(
        "/api/v1/legal-events", event_body(subject, "charges_withdrawn"), format="json"
    )
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["outcome"] == "held"
    assert recorded.json()["certificate"] is None
    subjects_purge_due(agency_id=agency_id)
    assert biometric_rows(agency_id, subject)["matching_face.embedding"] == 1

    no_reason = officer.post(f"/api/v1/legal-holds/{hold.json()['id']}/lift", {}, format="json")
    assert no_reason.status_code == 400
    lifted = officer.post(
        f"/api/v1/legal-holds/{hold.json()['id']}/lift", {"reason": "Claim settled."}, format="json"
    )
    assert lifted.status_code == 200, lifted.content
    assert lifted.json()["lifted_by"] == tenant_a.users["compliance_officer"].username
    assert (
        officer.post(
            f"/api/v1/legal-holds/{hold.json()['id']}/lift", {"reason": "Again."}, format="json"
        ).status_code
        == 409
    )
    listed = officer.get("/api/v1/legal-holds?all=true").json()["results"]
    assert any(
        h["id"] == hold.json()["id"] and h["lift_reason"] == "Claim settled." for h in listed
    )
    active = officer.get("/api/v1/legal-holds").json()["results"]
    assert hold.json()["id"] not in {h["id"] for h in active}
    assert subjects_purge_due(agency_id=agency_id) >= 1
    assert set(biometric_rows(agency_id, subject).values()) == {0}
    with agency_transaction(agency_id):
        certificate = DeletionCertificate.objects.get(subject=subject)
        actions = list(
            AuditEvent.objects.filter(agency_id=agency_id, object_id=hold.json()["id"]).values_list(
                "action", flat=True
            )
        )
    assert certificate.deleted_by == "system"
    assert certificate.event_kind == "charges_withdrawn"
    assert actions == ["legal_hold.placed", "legal_hold.lifted"]


def test_only_compliance_officers_place_holds(db: None, tenant_a: Tenant) -> None:
    subject = a_subject(tenant_a)
    response = tenant_a.client("agency_admin").post(
        "/api/v1/legal-holds", {"subject_ref": subject.ref, "reason": "x"}, format="json"
    )
    assert response.status_code == 403


def test_the_end_of_a_youth_access_period_purges_on_its_date(
    committed: None, tenant_a: Tenant
) -> None:
    agency_id = tenant_a.agency.id
    subject = a_subject(tenant_a)
    ahead = timezone.localdate() + timedelta(days=30)
    response = tenant_a.client("compliance_officer").post(
        "/api/v1/legal-events",
        event_body(subject, "ycja_access_period_end", date=str(ahead), reference="YCJA-0042"),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "scheduled"
    subjects_purge_due(agency_id=agency_id)
    assert biometric_rows(agency_id, subject)["matching_subjectphoto.content"] == 1
    with agency_transaction(agency_id):
        LegalEvent.objects.filter(id=response.json()["event"]).update(
            due_at=timezone.now() - timedelta(seconds=1)
        )
    assert subjects_purge_due(agency_id=agency_id) >= 1
    with agency_transaction(agency_id):
        certificate = DeletionCertificate.objects.get(subject=subject)
    assert certificate.rule_id == "R-YCJA-ACCESS-PERIOD"
    assert "Youth Criminal Justice Act" in certificate.citation
    assert settings.CELERY_BEAT_SCHEDULE["subjects-purge"]["task"] == (
        "matching.tasks.subjects_purge"
    )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"kind": "pardon"}, "invalid_request"),
        ({"date": str(timezone.localdate() + timedelta(days=400))}, "legal_event_date_future"),
        ({"subject_ref": "nobody-here"}, "subject_not_found"),
        ({"reference": ""}, "invalid_request"),
    ],
)
def test_bad_events_are_refused(
    db: None, tenant_a: Tenant, overrides: dict[str, str], code: str
) -> None:
    subject = a_subject(tenant_a)
    response = tenant_a.client("compliance_officer").post(
        "/api/v1/legal-events", event_body(subject, **overrides), format="json"
    )
    assert response.status_code in (400, 404), response.content
    assert response.json()["error"]["code"] == code
    assert biometric_rows(tenant_a.agency.id, subject)["matching_face.embedding"] == 1


def csv_file(rows: list[list[str]]) -> io.BytesIO:
    lines = ["subject_ref,kind,event_date,reference", *(",".join(r) for r in rows)]
    upload = io.BytesIO(("\n".join(lines) + "\n").encode())
    upload.name = "events.csv"
    return upload


def test_an_import_with_a_bad_row_writes_nothing(committed: None, tenant_a: Tenant) -> None:
    agency_id = tenant_a.agency.id
    first, second = a_subject(tenant_a), a_subject(tenant_a)
    today, ahead = str(timezone.localdate()), str(timezone.localdate() + timedelta(days=90))
    good = [
        [first.ref, "acquittal", today, "ONCJ-1"],
        [second.ref, "ycja_access_period_end", ahead, "YCJA-7"],
    ]
    bad = [
        *good,
        [first.ref, "pardon", today, "X"],
        ["nobody", "acquittal", today, "Y"],
        [second.ref, "acquittal", "01/02/2026", "Z"],
    ]
    client = tenant_a.client("agency_admin")
    refused = client.post(
        "/api/v1/legal-events/import", {"file": csv_file(bad)}, format="multipart"
    )
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["code"] == "legal_events_rows_invalid"
    no_file = client.post("/api/v1/legal-events/import", {}, format="multipart")
    assert no_file.json()["error"]["code"] == "legal_events_file_invalid"
    report = refused.json()["error"]["fields"]
    assert [(r["row"], r["status"], r.get("code")) for r in report["rows"]] == [
        (2, "valid", None),
        (3, "valid", None),
        (4, "error", "legal_event_kind_unknown"),
        (5, "error", "subject_not_found"),
        (6, "error", "legal_event_date_invalid"),
    ]
    with agency_transaction(agency_id):
        assert not LegalEvent.objects.filter(subject__in=[first, second]).exists()
    assert biometric_rows(agency_id, first)["matching_face.embedding"] == 1

    applied = client.post(
        "/api/v1/legal-events/import", {"file": csv_file(good)}, format="multipart"
    )
    assert applied.status_code == 200, applied.content
    assert [r["status"] for r in applied.json()["rows"]] == ["purged", "scheduled"]
    assert set(biometric_rows(agency_id, first).values()) == {0}
    assert biometric_rows(agency_id, second)["matching_face.embedding"] == 1
    again = client.post(
        "/api/v1/legal-events/import", {"file": csv_file(good[:1])}, format="multipart"
    )
    assert [r["status"] for r in again.json()["rows"]] == ["already_purged"]
    # Two events for one subject in one file: one purge, one certificate.
    third = a_subject(tenant_a)
    both = [
        [third.ref, "acquittal", today, "ONCJ-2"],
        [third.ref, "record_suspension", today, "PBC-9"],
    ]
    twice = client.post("/api/v1/legal-events/import", {"file": csv_file(both)}, format="multipart")
    assert [r["status"] for r in twice.json()["rows"]] == ["purged", "already_purged"]
    with agency_transaction(agency_id):
        assert DeletionCertificate.objects.filter(subject=third).count() == 1


def test_the_import_command_reports_each_row(
    committed: None, tenant_a: Tenant, tmp_path: Path
) -> None:
    subject = a_subject(tenant_a)
    path = tmp_path / "events.csv"
    path.write_text(
        "subject_ref,kind,event_date,reference\n"
        f"{subject.ref},charges_stayed,{timezone.localdate()},ONSC-55\n"
        f"{subject.ref},charges_stayed,{timezone.localdate()},ONSC-55\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("legal_events_import", str(path), agency=tenant_a.agency.id, stdout=out)
    assert "line 3" in out.getvalue() and "legal_event_duplicate_row" in out.getvalue()
    path.write_text(
        "subject_ref,kind,event_date,reference\n"
        f"{subject.ref},charges_stayed,{timezone.localdate()},ONSC-55\n"
    )
    out = io.StringIO()
    call_command("legal_events_import", str(path), agency=tenant_a.agency.id, stdout=out)
    assert f"line 2: {subject.ref} purged" in out.getvalue()
    with agency_transaction(tenant_a.agency.id):
        assert DeletionCertificate.objects.get(subject=subject).deleted_by == "system"


def test_a_file_without_the_columns_is_refused(db: None, tenant_a: Tenant) -> None:
    from tenants.errors import ApiError

    with pytest.raises(ApiError) as refused:
        legal_events_import(agency_id=tenant_a.agency.id, content=b"ref,when\nx,y\n")
    assert refused.value.error_code == "legal_events_file_invalid"


def test_certificates_are_append_only(committed: None, tenant_a: Tenant) -> None:
    subject = a_subject(tenant_a)
    response = tenant_a.client("compliance_officer").post(
        "/api/v1/legal-events", event_body(subject), format="json"
    )
    certificate_id = response.json()["certificate"]["id"]
    for statement in (
        "UPDATE matching_deletioncertificate SET deleted_by = 'x' WHERE id = %s",
        "DELETE FROM matching_deletioncertificate WHERE id = %s",
    ):
        # The app role holds no such privilege; the owner is refused by the trigger.
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            agency_transaction(tenant_a.agency.id),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [certificate_id])
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(using="owner"),
            connections["owner"].cursor() as cursor,
        ):
            cursor.execute(statement, [certificate_id])
    with agency_transaction(tenant_a.agency.id):
        assert DeletionCertificate.objects.filter(id=certificate_id).exists()


def test_another_agency_finds_nothing(db: None, tenant_a: Tenant, tenant_b: Tenant) -> None:
    subject = a_subject(tenant_a)
    other = tenant_b.client("compliance_officer")
    response = other.post("/api/v1/legal-events", event_body(subject), format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "subject_not_found"
    hold = tenant_a.client("compliance_officer").post(
        "/api/v1/legal-holds", {"subject_ref": subject.ref, "reason": "Appeal."}, format="json"
    )
    lift = other.post(
        f"/api/v1/legal-holds/{hold.json()['id']}/lift", {"reason": "x"}, format="json"
    )
    assert lift.status_code == 404
    assert lift.json()["error"]["code"] == "legal_hold_not_found"
    assert biometric_rows(tenant_a.agency.id, subject)["matching_face.embedding"] == 1


def test_a_certificate_cannot_name_another_agencys_subject(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    from tests.matching.test_same_agency_references import refusal

    subject = a_subject(tenant_b)
    message = refusal(
        tenant_a.agency.id,
        "INSERT INTO matching_legalhold (id, agency_id, subject_id, reason, placed_by_id, "
        "placed_at, lift_reason) VALUES (gen_random_uuid(), %s, %s, 'x', %s, now(), '')",
        [tenant_a.agency.id, subject.pk, tenant_a.users["compliance_officer"].pk],
    )
    assert "same_agency" in message


def test_a_photo_enrolled_during_a_purge_is_purged_too(committed: None, tenant_a: Tenant) -> None:
    """A photo inserted while the purge runs either waits and is refused, or is purged."""
    import threading

    from tests.matching.test_concurrency import Held

    agency_id = tenant_a.agency.id
    subject = a_subject(tenant_a)

    def photo_insert_uncommitted() -> None:
        photo = SubjectPhoto(
            agency_id=agency_id,
            subject=subject,
            sha256="1" * 64,
            content_type="image/jpeg",
            width=1,
            height=1,
        )
        photo_content_seal(photo=photo, content=unique_probe())
        photo.save(force_insert=True)

    enrolling = Held(agency_id, photo_insert_uncommitted)
    enrolling.start()
    assert enrolling.holding.wait(30) and enrolling.error is None
    answer: dict[str, Any] = {}

    def record() -> None:
        answer["response"] = tenant_a.client("compliance_officer").post(
            "/api/v1/legal-events", event_body(subject), format="json"
        )
        connections.close_all()

    purging = threading.Thread(target=record, daemon=True)
    purging.start()
    purging.join(1.0)
    assert purging.is_alive(), "the purge must wait for the photo being enrolled"
    enrolling.release.set()
    enrolling.join(30)
    purging.join(30)
    assert enrolling.error is None
    response = answer["response"]
    assert response.status_code == 201, response.content
    assert response.json()["certificate"]["photos_deleted"] == 2
    assert set(biometric_rows(agency_id, subject).values()) == {0}
