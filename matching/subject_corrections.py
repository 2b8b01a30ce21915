"""Correcting what a gallery subject's record says about them, never its photos or faces.

A subject's only descriptive field is its display name (its reference is the agency's key to
the record and to legal events, so it is not corrected here). A correction names its reason
and is validated whole before anything is written; the change and its audit event share one
transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from audit.services import audit_record
from matching.legal_events import SUBJECT_PURGED
from matching.models import Subject
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_require

DISPLAY_NAME_MAX = 200
REASON_MAX = 500
SUBJECT_NOT_FOUND = "subject_not_found"
SUBJECT_UNCHANGED = "subject_unchanged"
CORRECTION_FIELD_INVALID = "correction_field_invalid"
CORRECTION_REASON_MISSING = "correction_reason_missing"


@dataclass(frozen=True)
class SubjectCorrection:
    """The corrected values and why."""

    display_name: str
    reason: str


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)


def _validated(correction: SubjectCorrection) -> SubjectCorrection:
    """Return the correction normalized, or refuse it naming the field at fault."""
    name = correction.display_name.strip()
    reason = correction.reason.replace("\r\n", "\n").strip()
    if len(name) > DISPLAY_NAME_MAX or _has_control_characters(name):
        raise ApiError(
            CORRECTION_FIELD_INVALID,
            f"A display name is at most {DISPLAY_NAME_MAX} characters on one line.",
            fields={"display_name": "invalid"},
        )
    if not reason:
        raise ApiError(
            CORRECTION_REASON_MISSING,
            "Say why the record is corrected.",
            fields={"reason": "required"},
        )
    if len(reason) > REASON_MAX or _has_control_characters(reason.replace("\n", " ")):
        raise ApiError(
            CORRECTION_FIELD_INVALID,
            f"A reason is at most {REASON_MAX} characters.",
            fields={"reason": "invalid"},
        )
    return SubjectCorrection(display_name=name, reason=reason)


def subject_correct(
    *, user: User, gallery_slug: str, subject_id: int, correction: SubjectCorrection
) -> Subject:
    """Correct a subject's display name, with a reason; audited in the same transaction.

    Another agency's subject, or one of another gallery, is not found (404); a purged subject's
    record is final (409); a value that changes nothing is refused (400).
    """
    assert user.agency is not None  # noqa: S101
    action_require(user=user, action="subject.correct")
    checked = _validated(correction)
    with agency_transaction(user.agency.id):
        subject = (
            Subject.objects.select_for_update(of=("self",))
            .select_related("gallery")
            .filter(agency=user.agency, gallery__slug=gallery_slug, pk=subject_id)
            .first()
        )
        if subject is None:
            raise ApiError(SUBJECT_NOT_FOUND, "No such subject.", http_status=404)
        if subject.purged_at is not None:
            raise ApiError(SUBJECT_PURGED, "That subject has already been purged.", http_status=409)
        if subject.display_name == checked.display_name:
            raise ApiError(
                SUBJECT_UNCHANGED,
                "The correction changes nothing.",
                fields={"display_name": "unchanged"},
            )
        previous = subject.display_name
        subject.display_name = checked.display_name
        subject.save(update_fields=["display_name"])
        audit_record(
            agency_id=user.agency.id,
            actor=user,
            action="subject.corrected",
            object_type="subject",
            object_id=str(subject.pk),
            data={
                "gallery": gallery_slug,
                "fields": ["display_name"],
                # A name of a gallery record: oversight reads show this key withheld.
                "display_name": {"previous": previous, "corrected": checked.display_name},
                "reason": checked.reason,
            },
        )
    return subject
