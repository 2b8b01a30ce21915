"""Writes to the directory: agencies, users, training, API tokens. Each is audited.

Agencies are created by an operator on the owner's connection (a partition is DDL); users,
training and tokens are written through the directory's functions, in the acting agency.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from config.database import OWNER_ALIAS
from matching.partitions import agency_partition_create
from tenants.context import agency_transaction
from tenants.directory import (
    directory_token_issue,
    directory_token_revoke,
    directory_token_rotate,
    directory_training_add,
    directory_user_create,
    directory_user_set_active,
)
from tenants.models import (
    JURISDICTIONS,
    Agency,
    AgencyKind,
    ApiToken,
    Role,
    TokenIssuer,
    TrainingRecord,
    User,
)
from tenants.passwords import password_hash
from tenants.tokens import token_digest, token_generate

OWNER_DB = OWNER_ALIAS
MFA_ISSUERS = (TokenIssuer.OPERATOR_MFA_CHECK, TokenIssuer.MFA_SESSION)


def agency_create(
    *,
    agency_id: str,
    name: str,
    kind: str,
    jurisdiction: str,
    municipality: str = "",
    service_area_municipalities: Sequence[str] = (),
    pia_completed: bool = False,
    cai_disclosure_filed: bool = False,
    fr_program_approved: bool = False,
    actor: str = "system",
) -> Agency:
    """Create an agency with its own vector partition, in one transaction.

    Runs on the owner connection because creating a partition is DDL the app role may not do.
    """
    if kind not in AgencyKind.values:
        raise ValidationError({"kind": f"unknown agency kind {kind!r}"})
    if jurisdiction not in JURISDICTIONS:
        raise ValidationError({"jurisdiction": f"unknown jurisdiction {jurisdiction!r}"})
    agency = Agency(
        id=agency_id,
        name=name,
        kind=kind,
        jurisdiction=jurisdiction,
        municipality=municipality,
        service_area_municipalities=list(service_area_municipalities),
        pia_completed=pia_completed,
        cai_disclosure_filed=cai_disclosure_filed,
        fr_program_approved=fr_program_approved,
    )
    agency.full_clean()
    with transaction.atomic(using=OWNER_DB):
        if Agency.objects.using(OWNER_DB).filter(id=agency_id).exists():
            raise ValidationError({"agency_id": f"agency {agency_id!r} already exists"})
        agency.save(using=OWNER_DB)
        agency_partition_create(agency_id=agency.id, using=OWNER_DB)
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="agency.created",
            object_type="agency",
            object_id=agency.id,
            data={"name": name, "kind": kind, "jurisdiction": jurisdiction},
            using=OWNER_DB,
        )
    # Hand back an instance bound to the app connection, so related lookups never use the owner.
    return Agency.objects.get(id=agency.id)


def _directory_error(exc: DatabaseError, field: str) -> ValidationError:
    """Turn a directory function's refusal into a validation error on ``field``."""
    if isinstance(exc, IntegrityError):
        return ValidationError({field: "already exists"})
    return ValidationError({field: str(exc).splitlines()[0]})


def user_create(
    *,
    agency: Agency,
    username: str,
    roles: Sequence[str],
    password: str | None = None,
    email: str = "",
    mfa_enabled: bool = False,
    actor: Any = "system",
) -> User:
    """Create a user of ``agency`` with the given roles (the password is stored hashed only)."""
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError({"roles": f"unknown roles: {', '.join(unknown)}"})
    draft = User(username=username, agency=agency, roles=list(roles), email=email)
    draft.full_clean(exclude=["agency", "roles"], validate_unique=False)
    with agency_transaction(agency.id):
        try:
            with transaction.atomic():
                user_id = directory_user_create(
                    username=username,
                    email=email,
                    roles=list(roles),
                    password_hash=password_hash(password or None),
                    mfa_enabled=mfa_enabled,
                )
        except DatabaseError as exc:
            raise _directory_error(exc, "username") from exc
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="user.created",
            object_type="user",
            object_id=str(user_id),
            data={"username": username, "roles": list(roles)},
        )
        return User.objects.select_related("agency").get(pk=user_id)


def user_active_set(*, agency: Agency, user_id: int, active: bool, actor: Any) -> User | None:
    """Disable (or enable again) one of the agency's users; None when it has no such user.

    A disabled user's tokens stop resolving at once, and searches they started stop at their
    next step.
    """
    from matching.searches.requester_disabled import searches_stop_for_disabled_requester

    with agency_transaction(agency.id):
        if not directory_user_set_active(user_id=user_id, active=active):
            return None
        stopped = (
            0
            if active
            else searches_stop_for_disabled_requester(
                agency_id=agency.id, user_id=user_id, actor=actor
            )
        )
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="user.enabled" if active else "user.disabled",
            object_type="user",
            object_id=str(user_id),
            data={} if active else {"searches_stopped": stopped},
        )
        return User.objects.select_related("agency").get(pk=user_id)


def token_expiry(*, days: int | None = None) -> datetime:
    """Return when a token issued now expires: ``days`` or the default, within the maximum."""
    chosen = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= chosen <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"expires_in_days": f"must be between 1 and {settings.API_TOKEN_MAX_DAYS}"}
        )
    return timezone.now() + timedelta(days=chosen)


def _issuing_connection(issued_via: str) -> str:
    """Operator paths run on the owner's connection: the database refuses them to the app role."""
    if not issued_via.startswith("operator"):
        return "default"
    if OWNER_DB not in settings.DATABASES:
        raise ValidationError({"issued_via": "operator tokens need DATABASE_OWNER_URL"})
    return OWNER_DB


def token_issue(
    *,
    user: User,
    issued_via: str,
    label: str = "",
    expires_in_days: int | None = None,
    actor: Any = "system",
) -> str:
    """Issue an API key for ``user`` and return it; only its digest is kept.

    ``mfa_verified`` follows from ``issued_via``: an operator who checked the user's second
    factor (``operator_mfa_check``, on the owner's connection) or a portal session that passed
    one (``mfa_session``).
    """
    if user.agency_id is None:
        raise ValidationError({"user": "user has no agency"})
    if issued_via not in TokenIssuer.values or issued_via == TokenIssuer.ROTATION:
        raise ValidationError({"issued_via": f"cannot issue a token via {issued_via!r}"})
    using = _issuing_connection(issued_via)
    expires_at = token_expiry(days=expires_in_days)
    key = token_generate()
    with agency_transaction(user.agency_id, using=using):
        token_id = directory_token_issue(
            user_id=user.pk,
            label=label,
            prefix=key[:12],
            digest=token_digest(key),
            issued_via=issued_via,
            expires_at=expires_at,
            using=using,
        )
        if token_id is None:
            raise ValidationError({"user": "no such user in this agency"})
        audit_record(
            agency_id=user.agency_id,
            actor=actor,
            action="token.issued",
            object_type="api_token",
            object_id=str(token_id),
            data={
                "user": user.username,
                "label": label,
                "issued_via": issued_via,
                "mfa_verified": issued_via in MFA_ISSUERS,
                "expires_at": expires_at.isoformat(),
            },
            using=using,
        )
    return key


def token_revoke(*, agency: Agency, token_id: int, actor: Any) -> bool:
    """Revoke one of the agency's live tokens; False when it has none with that id."""
    with agency_transaction(agency.id):
        if not directory_token_revoke(token_id=token_id):
            return False
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="token.revoked",
            object_type="api_token",
            object_id=str(token_id),
            data={},
        )
    return True


def token_rotate(
    *, agency: Agency, token_id: int, actor: Any, expires_in_days: int | None = None
) -> tuple[ApiToken, str] | None:
    """Replace one of the agency's live tokens by a new key, which is returned once.

    The old key stops at once; the new one keeps the user, label and second-factor standing.
    """
    expires_at = token_expiry(days=expires_in_days)
    key = token_generate()
    with agency_transaction(agency.id):
        new_id = directory_token_rotate(
            token_id=token_id, prefix=key[:12], digest=token_digest(key), expires_at=expires_at
        )
        if new_id is None:
            return None
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="token.rotated",
            object_type="api_token",
            object_id=str(new_id),
            data={"replaces": token_id, "expires_at": expires_at.isoformat()},
        )
        return ApiToken.objects.select_related("user").get(pk=new_id), key


def training_record_add(
    *,
    user: User,
    course: str,
    completed_at: datetime,
    expires_at: datetime,
    actor: Any = "system",
) -> TrainingRecord:
    """Record that ``user`` completed ``course``; it lapses at ``expires_at``."""
    if expires_at <= completed_at:
        raise ValidationError({"expires_at": "must be after completed_at"})
    if user.agency_id is None:
        raise ValidationError({"user": "user has no agency"})
    with agency_transaction(user.agency_id):
        record_id = directory_training_add(
            user_id=user.pk, course=course, completed_at=completed_at, expires_at=expires_at
        )
        if record_id is None:
            raise ValidationError({"user": "no such user in this agency"})
        audit_record(
            agency_id=user.agency_id,
            actor=actor,
            action="training.recorded",
            object_type="user",
            object_id=str(user.pk),
            data={"course": course, "expires_at": expires_at.isoformat()},
        )
        return TrainingRecord.objects.get(pk=record_id)


def training_status(*, user: User) -> tuple[bool, datetime | None]:
    """Return whether the user ever completed training, and when the latest record lapses."""
    if user.agency_id is None:
        return False, None
    with agency_transaction(user.agency_id):
        latest = TrainingRecord.objects.filter(user_id=user.pk).order_by("-expires_at").first()
    if latest is None:
        return False, None
    return latest.completed_at <= timezone.now(), latest.expires_at
