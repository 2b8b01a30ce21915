"""Shared ids count nothing: users, tokens and subjects get keyed, unordered ids (finding 4)."""

from __future__ import annotations

import itertools
import uuid

import psycopg
import pytest
from django.db import ProgrammingError, connection

from matching.models import Subject
from tenants.context import agency_transaction
from tenants.models import ApiToken, TokenIssuer
from tenants.services import token_issue, user_create
from tests.conftest import Tenant

LOW, HIGH = 2**52, 2**53


def _spread(ids: list[int]) -> None:
    assert all(LOW <= i < HIGH for i in ids), ids
    assert len(set(ids)) == len(ids)
    steps = {b - a for a, b in itertools.pairwise(ids)}
    assert steps != {1} and len(steps) > 1, "consecutive rows got ids in a visible order"


def test_users_created_one_after_another_get_unrelated_ids(db: None, tenant_a: Tenant) -> None:
    users = [
        user_create(
            agency=tenant_a.agency, username=f"id_{uuid.uuid4().hex[:8]}", roles=["analyst"]
        )
        for _ in range(5)
    ]
    _spread([u.pk for u in users])


def test_tokens_and_subjects_get_unrelated_ids(db: None, tenant_a: Tenant) -> None:
    user = tenant_a.users["analyst"]
    for _ in range(4):
        token_issue(user=user, issued_via=TokenIssuer.AGENCY_ADMIN)
    with agency_transaction(tenant_a.agency.id):
        tokens = list(
            ApiToken.objects.filter(user=user)
            .order_by("-created_at")
            .values_list("id", flat=True)[:4]
        )
        subjects = [
            Subject.objects.create(
                agency=tenant_a.agency, gallery=tenant_a.gallery, ref=f"id-{uuid.uuid4().hex[:8]}"
            ).pk
            for _ in range(5)
        ]
    _spread(sorted(tokens, key=tokens.index))
    _spread(subjects)


def test_the_app_role_cannot_read_the_permutations_key(db: None) -> None:
    with (
        pytest.raises(ProgrammingError, match="permission denied") as raised,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT key FROM probity_id_key")
    assert isinstance(raised.value.__cause__, psycopg.errors.InsufficientPrivilege)
