"""Follow-up tasks from obligations: supervisor notices, post-hoc reviews, judicial follow-up."""

from __future__ import annotations

import uuid

from django.utils import timezone

from audit.services import audit_record
from matching.models import FollowUp
from tenants import errors
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import Agency, User
from tenants.need_to_know import action_require


def follow_up_list(*, agency: Agency, include_done: bool = False) -> list[FollowUp]:
    """Return the agency's follow-ups, earliest due first."""
    with agency_transaction(agency.id):
        tasks = FollowUp.objects.select_related("completed_by").filter(agency=agency)
        if not include_done:
            tasks = tasks.filter(completed_at__isnull=True)
        return list(tasks.order_by("due_at"))


def follow_up_complete(*, user: User, follow_up_id: uuid.UUID, note: str) -> FollowUp:
    """Close a follow-up with a note; the search's requester cannot close their own review."""
    assert user.agency is not None  # noqa: S101
    action_require(user=user, action="follow_up.complete")
    with agency_transaction(user.agency.id):
        task = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("search")
            .filter(agency=user.agency, id=follow_up_id)
            .first()
        )
        if task is None:
            raise ApiError("follow_up_not_found", "No such follow-up.", http_status=404)
        if task.completed_at is not None:
            raise ApiError(errors.CONFLICT, "The follow-up is already complete.", http_status=409)
        if task.search.requested_by_id == user.pk:
            raise ApiError(
                errors.PERMISSION_DENIED,
                "The officer who ran the search cannot close its follow-up.",
                http_status=403,
            )
        task.completed_at = timezone.now()
        task.completed_by = user
        task.note = note
        task.save(update_fields=["completed_at", "completed_by", "note"])
        audit_record(
            agency_id=user.agency.id,
            actor=user,
            action="follow_up.completed",
            object_type="follow_up",
            object_id=str(task.id),
            data={"kind": task.kind, "search_id": str(task.search_id)},
        )
    return task
