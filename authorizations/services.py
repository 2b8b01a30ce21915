"""Enter, verify and revoke authority records; revoking cancels the searches that rely on one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeVar

from django.utils import timezone

from audit.services import audit_record
from authorizations.models import (
    AuthorizationRecord,
    ExigentApproval,
    InteragencyAgreement,
    RecordStatus,
    Warrant,
)
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed, action_require

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
DOCUMENT_MISSING = "document_missing"
DOCUMENT_TYPE_UNSUPPORTED = "document_type_unsupported"
SELF_VERIFICATION_REFUSED = "self_verification_refused"
RECORD_STATE_CONFLICT = "record_state_conflict"
GRANTEE_INVALID = "exigent_grantee_invalid"

Record = TypeVar("Record", bound=AuthorizationRecord)


@dataclass(frozen=True)
class Document:
    """An uploaded copy of the authorization (PDF, JPEG or PNG)."""

    name: str
    content: bytes


def _document_type(content: bytes) -> str:
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    raise ApiError(
        DOCUMENT_TYPE_UNSUPPORTED, "Attach the document as PDF, JPEG or PNG.", http_status=415
    )


def _attach(record: AuthorizationRecord, document: Document | None, *, required: bool) -> None:
    if document is None or not document.content:
        if required:
            raise ApiError(DOCUMENT_MISSING, "Attach the signed document as 'document'.")
        return
    if len(document.content) > DOCUMENT_MAX_BYTES:
        raise ApiError(errors.PAYLOAD_TOO_LARGE, "The document is too large.", http_status=413)
    record.document_type = _document_type(document.content)
    record.document = document.content
    record.document_name = document.name[:255]
    record.document_sha256 = hashlib.sha256(document.content).hexdigest()


def _record_label(record: AuthorizationRecord) -> str:
    return {
        Warrant: "warrant",
        ExigentApproval: "exigent_approval",
        InteragencyAgreement: "interagency_agreement",
    }[type(record)]


def record_read_record(*, user: User, record: AuthorizationRecord, document: bool) -> None:
    """Refuse a reader without reach; put the read (or download) on the agency's audit trail."""
    assert user.agency_id is not None  # noqa: S101 - authenticated users always have an agency
    granted = isinstance(record, ExigentApproval) and record.granted_to_id == user.pk
    if not granted:
        action_require(user=user, action="authority_records.list", owner_id=record.entered_by_id)
    label = _record_label(record)
    audit_record(
        agency_id=user.agency_id,
        actor=user,
        action=f"{label}.document_downloaded" if document else f"{label}.viewed",
        object_type=label,
        object_id=str(record.id),
        data={"sha256": record.document_sha256} if document else {},
    )


def exigent_grantee(*, user: User, username: str) -> User:
    """Return the officer of the user's agency an exigent approval is to be granted to.

    Only an active investigator or analyst of the same agency can be named; anyone else
    (including another agency's user) is refused alike, and only to someone who may enter one.
    """
    assert user.agency_id is not None  # noqa: S101 - authenticated users always have an agency
    action_require(user=user, action="authority_record.enter")
    with agency_transaction(user.agency_id):
        grantee = User.objects.filter(
            agency_id=user.agency_id, username=username, is_active=True
        ).first()
    if grantee is None or not action_allowed(user=grantee, action="search.submit"):
        raise ApiError(
            GRANTEE_INVALID,
            "Name an active investigator or analyst of your agency.",
            fields={"granted_to": ["No such investigator or analyst in your agency."]},
        )
    return grantee


def record_enter(*, user: User, record: Record, document: Document | None) -> Record:
    """Store a new record of the user's agency, pending a supervisor's verification."""
    assert user.agency is not None  # noqa: S101 - authenticated users always have an agency
    action_require(user=user, action="authority_record.enter")
    record.agency = user.agency
    record.entered_by = user
    record.status = RecordStatus.PENDING
    _attach(record, document, required=not isinstance(record, ExigentApproval))
    with agency_transaction(user.agency.id):
        record.save()
        audit_record(
            agency_id=user.agency.id,
            actor=user,
            action=f"{_record_label(record)}.entered",
            object_type=_record_label(record),
            object_id=str(record.id),
            data={"document_sha256": record.document_sha256, **_grant(record)},
        )
    return record


def _grant(record: AuthorizationRecord) -> dict[str, str]:
    """Return what an exigent approval is granted for, as its audit event records it."""
    if not isinstance(record, ExigentApproval):
        return {}
    return {
        "case_number": record.case_number,
        "granted_to": record.granted_to.username,
        "purpose": record.purpose,
    }


def record_verify(*, user: User, record: Record) -> Record:
    """Verify (or, for exigent approvals, approve) a pending record as a different supervisor."""
    assert user.agency is not None  # noqa: S101
    action_require(user=user, action="authority_record.verify")
    with agency_transaction(user.agency.id):
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        if locked.entered_by_id == user.pk:
            raise ApiError(
                SELF_VERIFICATION_REFUSED,
                "The person who entered a record cannot verify or approve it.",
                http_status=409,
            )
        if isinstance(locked, ExigentApproval) and locked.granted_to_id == user.pk:
            raise ApiError(
                SELF_VERIFICATION_REFUSED,
                "An officer cannot approve an exigent search granted to them.",
                http_status=409,
            )
        if locked.status != RecordStatus.PENDING:
            raise ApiError(
                RECORD_STATE_CONFLICT, f"The record is {locked.status}.", http_status=409
            )
        locked.status = RecordStatus.VERIFIED
        locked.verified_by = user
        locked.verified_at = timezone.now()
        locked.save(update_fields=["status", "verified_by", "verified_at"])
        audit_record(
            agency_id=user.agency.id,
            actor=user,
            action=f"{_record_label(locked)}.verified",
            object_type=_record_label(locked),
            object_id=str(locked.id),
            data={},
        )
    return locked


def record_revoke(*, user: User, record: Record, reason: str) -> tuple[Record, dict[str, int]]:
    """Revoke a record; cancel searches still relying on it and quarantine finished results."""
    from matching.searches import searches_stop_for_revoked_authority

    assert user.agency is not None  # noqa: S101
    action_require(user=user, action="authority_record.revoke")
    with agency_transaction(user.agency.id):
        locked = type(record)._default_manager.select_for_update().get(pk=record.pk)
        if locked.status == RecordStatus.REVOKED:
            raise ApiError(RECORD_STATE_CONFLICT, "The record is already revoked.", http_status=409)
        locked.status = RecordStatus.REVOKED
        locked.revoked_by = user
        locked.revoked_at = timezone.now()
        locked.revocation_reason = reason[:500]
        locked.save(update_fields=["status", "revoked_by", "revoked_at", "revocation_reason"])
        affected = searches_stop_for_revoked_authority(record=locked, actor=user, reason=reason)
        audit_record(
            agency_id=user.agency.id,
            actor=user,
            action=f"{_record_label(locked)}.revoked",
            object_type=_record_label(locked),
            object_id=str(locked.id),
            data={"reason": reason, **affected},
        )
    return locked, affected
