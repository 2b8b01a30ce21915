"""The user's choice among several detected faces, which queues the search again."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from matching.models import Search, SearchStatus
from matching.searches.recovery import search_enqueue
from matching.searches.transitions import search_transition
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import User


def search_face_choose(*, user: User, search_id: uuid.UUID, face: int) -> Search:
    """Record the user's choice among the detected faces and queue the search again."""
    agency = user.agency
    assert agency is not None  # noqa: S101
    with agency_transaction(agency.id):
        search = (
            Search.objects.select_for_update(of=("self",))
            .filter(agency=agency, id=search_id)
            .first()
        )
        if search is None:
            raise ApiError(errors.NOT_FOUND, "No such search.", http_status=404)
        if search.status != SearchStatus.AWAITING_FACE_CHOICE:
            raise ApiError(
                errors.SEARCH_STATE_CONFLICT,
                f"The search is {search.status}, not awaiting a face choice.",
                http_status=409,
            )
        if not search.face_boxes or not 0 <= face < len(search.face_boxes):
            raise ApiError(
                errors.FACE_CHOICE_INVALID,
                f"Choose a face between 0 and {len(search.face_boxes or []) - 1}.",
            )
        deadline = timezone.now() + timedelta(seconds=settings.DISPATCH_GRACE_SECONDS)
        search_transition(
            search=search,
            to=SearchStatus.QUEUED,
            actor=user,
            action="search.face_chosen",
            data={"face": face},
            fields={"face_choice": face, "attempts": 0, "lease_expires_at": deadline},
        )
        search_enqueue(search_id=search.id, agency_id=agency.id)
    return search
