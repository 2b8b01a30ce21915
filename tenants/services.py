"""Writes to the directory: agencies, users, training, API tokens. Each is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from matching.partitions import agency_partition_create
from tenants.models import JURISDICTIONS, Agency, AgencyKind, ApiToken, Role, TrainingRecord, User
from tenants.tokens import token_digest, token_generate

OWNER_DB = "owner"


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


def user_create(
    *,
    agency: Agency,
    username: str,
    roles: Sequence[str],
    password: str | None = None,
    email: str = "",
    mfa_enabled: bool = False,
    actor: str = "system",
) -> User:
    """Create a user of ``agency`` with the given roles."""
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError({"roles": f"unknown roles: {', '.join(unknown)}"})
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationError({"username": f"user {username!r} already exists"})
        user = User(
            username=username, agency=agency, roles=list(roles), email=email,
            mfa_enabled=mfa_enabled,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="user.created",
            object_type="user",
            object_id=str(user.pk),
            data={"username": username, "roles": list(roles)},
        )
    return user


def token_issue(
    *, user: User, label: str = "", mfa_verified: bool = False, actor: str = "system"
) -> str:
    """Issue an API key for ``user`` and return it; only its digest is kept."""
    if user.agency is None:
        raise ValidationError({"user": "user has no agency"})
    key = token_generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, label=label, prefix=key[:12], digest=token_digest(key),
            mfa_verified=mfa_verified,
        )
        audit_record(
            agency_id=user.agency.id,
            actor=actor,
            action="token.issued",
            object_type="api_token",
            object_id=str(token.pk),
            data={"user": user.username, "label": label, "mfa_verified": mfa_verified},
        )
    return key


def training_record_add(
    *, user: User, course: str, completed_at: datetime, expires_at: datetime,
    actor: str = "system",
) -> TrainingRecord:
    """Record that ``user`` completed ``course``; it lapses at ``expires_at``."""
    if expires_at <= completed_at:
        raise ValidationError({"expires_at": "must be after completed_at"})
    if user.agency is None:
        raise ValidationError({"user": "user has no agency"})
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            user=user, course=course, completed_at=completed_at, expires_at=expires_at
        )
        audit_record(
            agency_id=user.agency.id,
            actor=actor,
            action="training.recorded",
            object_type="user",
            object_id=str(user.pk),
            data={"course": course, "expires_at": expires_at.isoformat()},
        )
    return record


def training_status(*, user: User) -> tuple[bool, datetime | None]:
    """Return whether the user ever completed training, and when the latest record lapses."""
    latest = user.training_records.order_by("-expires_at").first()
    if latest is None:
        return False, None
    return latest.completed_at <= timezone.now(), latest.expires_at
