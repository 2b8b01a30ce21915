"""Shared fixtures: the real test database, a real Celery worker, agencies, users and photos.

Tenancy data created once per session is committed, so the worker thread (its own connection)
sees it. Tests that only read or write through the web path use pytest-django's rolled-back
transactions on top of it; tests that need the worker use ``committed`` and unique names.
"""

from __future__ import annotations

import io
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

# The browser tests' one server and one browser, whichever directory their tests are in.
from tests.browser_session import chromium, portal_url  # noqa: F401

PHOTOS = Path(settings.BASE_DIR) / "var" / "photos"
TENANTS: dict[str, Tenant] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> Iterator[None]:
    """Recreate the test database as the owner and grant the app role; tests run as the app."""
    with django_db_blocker.unblock():
        call_command("db_setup", reset=True, verbosity=0)
        # Built here, outside any test, because agency creation needs the owner connection,
        # which rolled-back test transactions do not allow.
        TENANTS["a"] = _tenant(
            "ta", "CA-ON", "Toronto", {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg"]}
        )
        TENANTS["b"] = _tenant(
            "tb",
            "CA-QC",
            "Montréal",
            {"obama": ["obama2.jpg"], "collins": ["astronaut.png"]},
            cai=True,
        )
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()
        call_command("db_setup", drop=True, verbosity=0)
    Path(settings.AUDIT_CHECKPOINT_LOG).unlink(missing_ok=True)
    shutil.rmtree(settings.DATAKEY_STORE_DIR, ignore_errors=True)
    shutil.rmtree(settings.AUDIT_EXPORT_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _throttle_counters_cleared() -> None:
    """Start every test with fresh throttle and failed-authentication counters."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Allow database access without a wrapping transaction: writes are committed."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """Start a real Celery worker (solo pool, in a thread) on the real broker."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with (
        django_db_blocker.unblock(),
        start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=60,
        ) as worker,
    ):
        yield worker


def photo(name: str) -> bytes:
    """Return the bytes of a real face photo from var/photos."""
    path = PHOTOS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/install.sh (it fetches the photos)")
    return path.read_bytes()


def side_by_side(*names: str, height: int = 400) -> bytes:
    """Compose real photos side by side into one JPEG: a probe with several faces."""
    images = []
    for name in names:
        image = Image.open(io.BytesIO(photo(name))).convert("RGB")
        images.append(image.resize((int(image.width * height / image.height), height)))
    canvas = Image.new(
        "RGB", (sum(i.width for i in images) + 40 * len(images), height + 40), "white"
    )
    x = 20
    for image in images:
        canvas.paste(image, (x, 20))
        x += image.width + 40
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=92)
    return out.getvalue()


@dataclass
class Tenant:
    """A committed agency with one user per role and an enrolled gallery."""

    agency: Any
    users: dict[str, Any]
    tokens: dict[str, str]
    gallery: Any

    def client(self, role: str = "investigator") -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[role]}")
        return client


def _tenant(
    prefix: str,
    jurisdiction: str,
    municipality: str,
    subjects: dict[str, list[str]],
    cai: bool = False,
) -> Tenant:
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.galleries import gallery_create
    from tenants.models import Role, TokenIssuer
    from tenants.services import agency_create, token_issue, training_record_add, user_create

    agency_id = f"{prefix}_{uuid.uuid4().hex[:8]}"
    agency = agency_create(
        agency_id=agency_id,
        name=f"Test service {agency_id}",
        kind="municipal",
        jurisdiction=jurisdiction,
        municipality=municipality,
        pia_completed=True,
        cai_disclosure_filed=cai,
        fr_program_approved=True,
    )
    users, tokens = {}, {}
    now = timezone.now()
    for role in Role.values:
        user = user_create(agency=agency, username=f"{agency_id}_{role}", roles=[role])
        training_record_add(
            user=user,
            course="FR",
            completed_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=365),
        )
        users[role] = user
        tokens[role] = token_issue(user=user, issued_via=TokenIssuer.OPERATOR_MFA_CHECK)
    gallery = gallery_create(
        agency=agency,
        slug="booking",
        name="Booking photos",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
        cai_disclosure_filed=cai,
    )
    items = [
        UploadItem(subject_ref=ref, filename=name, content=photo(name), display_name=ref)
        for ref, names in subjects.items()
        for name in names
    ]
    batch = enrollment_batch_create(gallery=gallery, items=items, enqueue=False)
    enrollment_batch_process(agency_id=agency.id, batch_id=batch.id)
    return Tenant(agency=agency, users=users, tokens=tokens, gallery=gallery)


@pytest.fixture(scope="session")
def tenant_a(django_db_setup: None) -> Tenant:
    """An Ontario municipal service whose gallery holds Obama (2 photos) and Biden."""
    return TENANTS["a"]


@pytest.fixture(scope="session")
def tenant_b(django_db_setup: None) -> Tenant:
    """A Quebec municipal service whose gallery holds Obama and the astronaut."""
    return TENANTS["b"]


def search_fields(gallery: str = "booking", **overrides: Any) -> dict[str, Any]:
    """Return a valid, allowable search request for an Ontario ICA gallery."""
    fields: dict[str, Any] = {
        "gallery": gallery,
        "purpose": "criminal_investigation",
        "offence": '{"code": "CC 344", "category": "robbery", "indictable": true}',
        "case_number": "2026-123456",
        "justification": "Armed robbery suspect captured on store CCTV; no other leads.",
        "probe_source": "cctv",
        "probe_collected_in": "CA-ON",
        "probe_collected_municipality": "Toronto",
        "probe_subject_believed_minor": "false",
        "probe_captured_at": "2026-11-20T14:30:00-05:00",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Poll until ``predicate`` returns something truthy, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
