"""What the search page shows while a search awaits the choice among its probe's faces."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from matching.models import Search, SearchStatus
from matching.searches.face_choice import MFA_REQUIRED, TRAINING_REQUIRED
from matching.searches.probe_picture import (
    PROBE_GONE,
    probe_picture_allowed,
    search_face_boxes,
)
from tenants import errors
from tenants.errors import ApiError
from tenants.models import User
from tenants.need_to_know import action_allowed

# The service's refusals of a face choice in the reader's language.
FACE_CHOICE_MESSAGES = {
    errors.FACE_CHOICE_INVALID: _("Choose one of the outlined faces."),
    errors.SEARCH_STATE_CONFLICT: _("This search no longer awaits a face choice."),
    errors.PERMISSION_DENIED: _("Only the requester or a supervisor chooses the face."),
    TRAINING_REQUIRED: _("Current facial recognition training is required to choose a face."),
    MFA_REQUIRED: _("Sign in with a second factor to choose a face."),
    PROBE_GONE: _("The probe has been deleted."),
}


def face_choice_context(
    *, user: User, search: Search, error: str = "", chosen: int | None = None
) -> dict[str, Any]:
    """Return what the search page needs to offer the choice among the probe's faces.

    While a search awaits the choice its page stops polling: the person is choosing.
    """
    if search.status != SearchStatus.AWAITING_FACE_CHOICE:
        return {}
    may_choose = action_allowed(
        user=user, action="search.face_choose", owner_id=search.requested_by_id
    )
    boxes = []
    if may_choose and probe_picture_allowed(user=user, search=search):
        try:
            # Numbered as they read, left to right; each keeps the service's index.
            boxes = sorted(search_face_boxes(user=user, search=search), key=lambda b: b.left)
        except ApiError as exc:
            error = error or str(FACE_CHOICE_MESSAGES.get(exc.error_code, exc.message))
    return {
        "live": False,
        "face_choice": {
            "may_choose": may_choose,
            "boxes": boxes,
            "total": len(search.face_boxes or []),
            "error": error,
            "chosen": chosen,
        },
    }
