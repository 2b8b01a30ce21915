"""An oversight body with auditors, a national program office with its administrator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient


@dataclass
class Oversight:
    """A committed oversight body (two auditors) and a national office (one administrator)."""

    body: Any
    auditor: Any
    other_auditor: Any
    office: Any
    national_admin: Any
    tokens: dict[str, str]

    def client(self, who: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[who]}")
        return client


def _oversight() -> Oversight:
    from tenants.models import TokenIssuer
    from tenants.services import agency_create, token_issue, training_record_add, user_create

    suffix = uuid.uuid4().hex[:8]
    body = agency_create(
        agency_id=f"ov_{suffix}",
        name="Information and Privacy Commissioner",
        kind="oversight",
        jurisdiction="CA-ON",
    )
    office = agency_create(
        agency_id=f"nat_{suffix}",
        name="National FR program office",
        kind="federal",
        jurisdiction="CA",
    )
    users = {
        "auditor": user_create(agency=body, username=f"ov_{suffix}_aud", roles=["auditor"]),
        "other_auditor": user_create(agency=body, username=f"ov_{suffix}_aud2", roles=["auditor"]),
        "national_admin": user_create(
            agency=office, username=f"nat_{suffix}_admin", roles=["national_admin"]
        ),
    }
    now = timezone.now()
    tokens = {}
    for name, user in users.items():
        training_record_add(
            user=user,
            course="FR",
            completed_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=365),
        )
        tokens[name] = token_issue(user=user, issued_via=TokenIssuer.OPERATOR_MFA_CHECK)
    return Oversight(body=body, office=office, tokens=tokens, **users)


@pytest.fixture(scope="session")
def oversight(django_db_setup: None, django_db_blocker: Any) -> Oversight:
    with django_db_blocker.unblock():
        return _oversight()
