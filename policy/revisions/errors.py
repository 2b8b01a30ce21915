"""Stable error codes of policy authoring, for the API, the portal and the tests."""

from __future__ import annotations

REVISION_NOT_EDITABLE = "revision_not_editable"
REVISION_CHECKS_FAILED = "revision_checks_failed"
REVISION_STATE_CONFLICT = "revision_state_conflict"
REVISION_SELF_APPROVAL = "revision_self_approval"
REVISION_NOT_PERMITTED = "revision_not_permitted"
REVISION_INVALID = "revision_invalid"
REVISION_JUSTIFICATION_REQUIRED = "revision_justification_required"
REVISION_COMMENT_REQUIRED = "revision_comment_required"
REVISION_ROLLBACK_TARGET = "revision_rollback_target"


class RevisionError(Exception):
    """A refused authoring step, with a stable code and the HTTP status that fits it."""

    def __init__(self, code: str, message: str, *, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
