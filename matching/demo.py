"""The demo: two agencies in different provinces, a user per role, enrolled real photos.

Idempotent: agencies, users and galleries are created once; API keys are shown once, so the
ones issued on the first run are kept in ``var/demo-credentials.json`` (mode 0600) and reused,
with each user's password and TOTP secret (``manage.py demo_totp USER`` prints the current code).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.galleries import gallery_create
from matching.models import Face, LegalBasis
from matching.selectors import gallery_get
from tenants.context import agency_transaction
from tenants.directory import RESOLVED, directory_token_resolve
from tenants.models import AGENCY_ROLES, Agency, Role, TokenIssuer, User
from tenants.second_factor import totp_provision, totp_secret
from tenants.selectors import agency_get
from tenants.services import agency_create, token_issue, training_record_add, user_create
from tenants.tokens import token_digest

PHOTOS = settings.BASE_DIR / "var" / "photos"
CREDENTIALS = settings.VAR_DIR / "demo-credentials.json"
SEARCH_ROLES = {Role.INVESTIGATOR.value, Role.ANALYST.value, Role.SUPERVISOR.value}


@dataclass(frozen=True)
class DemoAgency:
    id: str
    name: str
    kind: str
    jurisdiction: str
    municipality: str
    cai_disclosure_filed: bool
    gallery_subjects: dict[str, list[str]]


AGENCIES = [
    DemoAgency(
        "tps",
        "Toronto Police Service",
        "municipal",
        "CA-ON",
        "Toronto",
        False,
        {
            "obama": ["obama.jpg", "obama2.jpg"],
            "biden": ["biden.jpg"],
            "collins": ["astronaut.png"],
        },
    ),
    DemoAgency(
        "spvm",
        "Service de police de la Ville de Montréal",
        "municipal",
        "CA-QC",
        "Montréal",
        True,
        {"biden": ["biden.jpg"], "collins": ["astronaut.png"]},
    ),
]
DISPLAY_NAMES = {"obama": "Barack Obama", "biden": "Joe Biden", "collins": "Eileen Collins"}


def _agency(spec: DemoAgency) -> Agency:
    existing = agency_get(agency_id=spec.id)
    if existing is not None:
        return existing
    return agency_create(
        agency_id=spec.id,
        name=spec.name,
        kind=spec.kind,
        jurisdiction=spec.jurisdiction,
        municipality=spec.municipality,
        pia_completed=True,
        cai_disclosure_filed=spec.cai_disclosure_filed,
        fr_program_approved=True,
        actor="demo",
    )


def _credentials() -> dict[str, Any]:
    if CREDENTIALS.exists():
        loaded: dict[str, Any] = json.loads(CREDENTIALS.read_text())
        return loaded
    return {}


def _user(agency: Agency, role: str, saved: dict[str, Any]) -> dict[str, Any]:
    username = f"{agency.id}_{role}"
    with agency_transaction(agency.id):
        user = User.objects.select_related("agency").filter(username=username).first()
    if user is None:
        password = secrets.token_urlsafe(9)
        user = user_create(
            agency=agency,
            username=username,
            roles=[role],
            password=password,
            mfa_enabled=True,
            actor="demo",
        )
        if role in SEARCH_ROLES:
            now = timezone.now()
            training_record_add(
                user=user,
                course="Facial recognition: accuracy, bias and law",
                completed_at=now - timedelta(days=1),
                expires_at=now + timedelta(days=365),
                actor="demo",
            )
        saved[username] = {"password": password}
    entry = saved.setdefault(username, {})
    if totp_secret(user=user) is None:
        entry["totp_secret"] = totp_provision(user=user, actor="demo")
    token = entry.get("token")
    if not token or directory_token_resolve(digest=token_digest(token)).outcome != RESOLVED:
        # The demo's operator stands in for the in-person check of each user's second factor.
        entry["token"] = token_issue(
            user=user, label="demo", issued_via=TokenIssuer.OPERATOR_MFA_CHECK, actor="demo"
        )
    return {
        "username": username,
        "agency": agency.id,
        "roles": [role],
        "password": entry.get("password", "(set on first run)"),
        "totp_secret": entry.get("totp_secret", "(set on first run)"),
        "token": entry["token"],
    }


def _gallery(agency: Agency, spec: DemoAgency) -> dict[str, Any]:
    gallery = gallery_get(agency=agency, slug="booking")
    if gallery is None:
        gallery = gallery_create(
            agency=agency,
            slug="booking",
            name=f"{spec.name} booking photos (ICA)",
            legal_basis=LegalBasis.IDENTIFICATION_OF_CRIMINALS_ACT,
            contains_youth_records=False,
            cai_disclosure_filed=spec.cai_disclosure_filed,
            actor="demo",
        )
    with agency_transaction(agency.id):
        enrolled = Face.objects.filter(agency=agency, gallery=gallery).count()
    if enrolled == 0:
        items = [
            UploadItem(
                subject_ref=ref,
                filename=name,
                content=(PHOTOS / name).read_bytes(),
                display_name=DISPLAY_NAMES[ref],
            )
            for ref, names in spec.gallery_subjects.items()
            for name in names
        ]
        batch = enrollment_batch_create(gallery=gallery, items=items, actor="demo", enqueue=False)
        enrollment_batch_process(agency_id=agency.id, batch_id=batch.id)
        with agency_transaction(agency.id):
            enrolled = Face.objects.filter(agency=agency, gallery=gallery).count()
    return {
        "agency": agency.id,
        "id": gallery.slug,
        "legal_basis": gallery.legal_basis,
        "faces": enrolled,
        "subjects": sorted(spec.gallery_subjects),
    }


def demo_write(demo: dict[str, Any], path: Path) -> None:
    """Write the demo's credentials to ``path``, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(json.dumps(demo, indent=2))
    temporary.replace(path)


def demo_bootstrap(*, url: str) -> dict[str, Any]:
    """Create (or find) the demo and return its agencies, users, tokens and galleries."""
    saved = _credentials()
    agencies: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    galleries: list[dict[str, Any]] = []
    for spec in AGENCIES:
        agency = _agency(spec)
        agencies.append(
            {
                "id": agency.id,
                "name": agency.name,
                "kind": agency.kind,
                "jurisdiction": agency.jurisdiction,
            }
        )
        users.extend(_user(agency, role, saved) for role in AGENCY_ROLES)
        galleries.append(_gallery(agency, spec))
    demo_write(saved, CREDENTIALS)
    return {
        "url": url,
        "agencies": agencies,
        "users": users,
        "galleries": galleries,
        "probe_photos": {
            "match": str(PHOTOS / "obama3.jpg"),
            "no_face": str(PHOTOS / "obama_partial_face.jpg"),
        },
    }
