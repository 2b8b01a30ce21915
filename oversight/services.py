"""Grant and revoke oversight read scopes; record every read an auditor makes.

A national administrator is a user holding the ``national_admin`` role in an agency whose
jurisdiction is ``CA`` (the national program office). Only such a user grants scopes, so no
agency grants itself an overseer and no oversight body grants itself an agency. Each grant and
revocation is written to the overseen agency's chain and the body's chain, in the transaction
that makes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from oversight import errors
from oversight.models import OversightGrant
from tenants.errors import ApiError
from tenants.models import Agency, AgencyKind, Role, User

MAX_GRANT_DAYS = 3 * 366


def is_national_admin(user: User) -> bool:
    """Return whether ``user`` may grant oversight scopes."""
    return (
        user.has_role(Role.NATIONAL_ADMIN)
        and user.agency is not None
        and user.agency.jurisdiction == "CA"
    )


def _grant_facts(grant: OversightGrant) -> dict[str, Any]:
    return {
        "grant": str(grant.id),
        "body": grant.body_id,
        "auditor": grant.auditor_username,
        "agency": grant.agency_id,
        "starts_at": grant.starts_at.isoformat(),
        "ends_at": grant.ends_at.isoformat(),
        "reason": grant.reason,
    }


def _record_both(grant: OversightGrant, *, actor: User, action: str) -> None:
    facts = _grant_facts(grant)
    for agency_id in (grant.agency_id, grant.body_id):
        audit_record(
            agency_id=agency_id,
            actor=actor,
            action=action,
            object_type="oversight_grant",
            object_id=str(grant.id),
            data=facts,
        )


def oversight_grant_create(
    *,
    granted_by: User,
    auditor: User,
    agency: Agency,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> OversightGrant:
    """Let ``auditor`` read ``agency``'s records from ``starts_at`` until ``ends_at``."""
    if not is_national_admin(granted_by):
        raise ApiError(
            errors.NOT_NATIONAL_ADMIN,
            "Only a national administrator grants oversight scopes.",
            http_status=403,
        )
    body = auditor.agency
    if body is None or body.kind != AgencyKind.OVERSIGHT:
        raise ApiError(
            errors.NOT_AN_OVERSIGHT_BODY, "The auditor must belong to an oversight body."
        )
    if not auditor.has_role(Role.AUDITOR) or not auditor.is_active:
        raise ApiError(errors.NOT_AN_AUDITOR, "The grantee must be an active auditor.")
    if agency.kind == AgencyKind.OVERSIGHT or agency.id == body.id:
        raise ApiError(
            errors.AGENCY_NOT_OVERSEEABLE,
            "Oversight scopes name police agencies, not oversight bodies.",
        )
    if starts_at.tzinfo is None or ends_at.tzinfo is None or ends_at <= starts_at:
        raise ApiError(
            errors.PERIOD_INVALID,
            "The period needs aware start and end times, the end after the start.",
        )
    if (ends_at - starts_at).days > MAX_GRANT_DAYS:
        raise ApiError(
            errors.PERIOD_INVALID,
            f"A grant lasts at most {MAX_GRANT_DAYS} days; grant again to extend it.",
        )
    with transaction.atomic():
        grant = OversightGrant.objects.create(
            body=body,
            auditor=auditor,
            auditor_username=auditor.username,
            agency=agency,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip()[:500],
            granted_by=granted_by,
            granted_by_username=granted_by.username,
        )
        _record_both(grant, actor=granted_by, action="oversight.grant_created")
    return grant


def oversight_grant_revoke(*, revoked_by: User, grant_id: Any) -> OversightGrant:
    """End a grant now; reads under it stop at once (the database predicate checks it)."""
    if not is_national_admin(revoked_by):
        raise ApiError(
            errors.NOT_NATIONAL_ADMIN,
            "Only a national administrator revokes oversight scopes.",
            http_status=403,
        )
    with transaction.atomic():
        # Lock the grant alone: the app role may not lock (or even see) other agencies' users.
        grant = OversightGrant.objects.select_for_update(of=("self",)).filter(id=grant_id).first()
        if grant is None:
            raise ApiError(errors.GRANT_NOT_FOUND, "No such oversight grant.", http_status=404)
        if grant.revoked_at is not None:
            raise ApiError(
                errors.GRANT_ALREADY_REVOKED, "The grant is already revoked.", http_status=409
            )
        grant.revoked_at = timezone.now()
        grant.revoked_by = revoked_by
        grant.revoked_by_username = revoked_by.username
        grant.save(update_fields=["revoked_at", "revoked_by", "revoked_by_username"])
        _record_both(grant, actor=revoked_by, action="oversight.grant_revoked")
    return grant


def oversight_access_record(
    *, auditor: User, grant: OversightGrant, resource: str, filters: dict[str, Any], rows: int
) -> None:
    """Write one auditor read into the overseen agency's chain (inside the read's transaction)."""
    audit_record(
        agency_id=grant.agency_id,
        actor=auditor,
        action="oversight.read",
        object_type="oversight_grant",
        object_id=str(grant.id),
        data={"body": grant.body_id, "resource": resource, "filters": filters, "rows": rows},
    )
