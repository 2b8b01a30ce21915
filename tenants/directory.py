"""Calls of the directory's ``SECURITY DEFINER`` functions, the only way to write it.

The app role may read its own agency's users, tokens and training (row-level security) but
never writes those tables, never sees a password hash or token digest, and resolves a token
before any agency is known only through ``directory_token_resolve``. Each function acts on the
agency of the open ``agency_transaction`` alone; callers write the audit event beside the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections

RESOLVED = "ok"


@dataclass(frozen=True)
class TokenResolution:
    """What a digest resolved to; ``outcome`` is ``ok`` or why the token does not count."""

    outcome: str
    token_id: int | None
    user_id: int | None
    agency_id: str | None


def _call(function: str, args: Sequence[Any], *, using: str = "default") -> Any:
    placeholders = ", ".join(["%s"] * len(args))
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {function}({placeholders})", list(args))  # noqa: S608
        row = cursor.fetchone()
    return row


def directory_token_resolve(*, digest: str) -> TokenResolution:
    """Resolve a token digest to its user, recording the use when the token is live."""
    row = _call("directory_token_resolve", [digest])
    return TokenResolution(outcome=row[0], token_id=row[1], user_id=row[2], agency_id=row[3])


def directory_user_facts(*, username: str) -> tuple[str, list[str]] | None:
    """Return an active user's agency and roles, in whichever agency they work."""
    row = _call("directory_user_facts", [username])
    return (str(row[0]), list(row[1])) if row else None


def directory_policy_people(*, user_ids: Sequence[int]) -> dict[int, str]:
    """Return the usernames of those ids that are compliance officers, in whichever agency."""
    if not user_ids:
        return {}
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT user_pk, user_name FROM directory_policy_people(%s)", [list(user_ids)]
        )
        return {int(pk): str(name) for pk, name in cursor.fetchall()}


def directory_user_create(
    *,
    username: str,
    email: str,
    roles: Sequence[str],
    password_hash: str,
    mfa_enabled: bool,
    using: str = "default",
) -> int:
    """Create a user in the acting agency; return its id."""
    row = _call(
        "directory_user_create",
        [username, email, list(roles), password_hash, mfa_enabled],
        using=using,
    )
    return int(row[0])


def directory_user_set_active(*, user_id: int, active: bool, using: str = "default") -> bool:
    """Enable or disable one of the acting agency's users; False when there is no such user."""
    return bool(_call("directory_user_set_active", [user_id, active], using=using)[0])


def directory_login_record(*, user_id: int, using: str = "default") -> bool:
    """Record a login of one of the acting agency's active users."""
    return bool(_call("directory_login_record", [user_id], using=using)[0])


def directory_training_add(
    *,
    user_id: int,
    course: str,
    completed_at: datetime,
    expires_at: datetime,
    using: str = "default",
) -> int | None:
    """Record training of one of the acting agency's users; None when there is no such user."""
    row = _call("directory_training_add", [user_id, course, completed_at, expires_at], using=using)
    return None if row[0] is None else int(row[0])


def directory_token_issue(
    *,
    user_id: int,
    label: str,
    prefix: str,
    digest: str,
    issued_via: str,
    expires_at: datetime,
    using: str = "default",
) -> int | None:
    """Store a new token's digest for one of the acting agency's users."""
    row = _call(
        "directory_token_issue",
        [user_id, label, prefix, digest, issued_via, expires_at],
        using=using,
    )
    return None if row[0] is None else int(row[0])


def directory_token_revoke(*, token_id: int, using: str = "default") -> bool:
    """Revoke one of the acting agency's live tokens; False when there is none."""
    return bool(_call("directory_token_revoke", [token_id], using=using)[0])


def directory_token_rotate(
    *, token_id: int, prefix: str, digest: str, expires_at: datetime, using: str = "default"
) -> int | None:
    """Replace one of the acting agency's live tokens by a new key; return the new token's id."""
    row = _call("directory_token_rotate", [token_id, prefix, digest, expires_at], using=using)
    return None if row[0] is None else int(row[0])


def directory_user_sign_in(*, username: str) -> tuple[int, str] | None:
    """Return the id and agency of the active user signing in as ``username``."""
    row = _call("directory_user_sign_in", [username])
    return (int(row[0]), str(row[1])) if row else None


def directory_user_agency(*, user_id: int) -> str | None:
    """Return the agency of an active user (to load a session's user in its agency)."""
    row = _call("directory_user_agency", [user_id])
    return None if row is None or row[0] is None else str(row[0])


def directory_password_prefix(*, user_id: int) -> str | None:
    """Return the user's password hash without its last field (algorithm, parameters, salt)."""
    row = _call("directory_password_prefix", [user_id])
    return None if row is None or row[0] is None else str(row[0])


def directory_password_verify(*, user_id: int, candidate: str) -> bool:
    """Return whether ``candidate`` is exactly the user's stored password hash."""
    return bool(_call("directory_password_verify", [user_id, candidate])[0])


def directory_password_set(*, user_id: int, password_hash: str, using: str = "default") -> bool:
    """Store a new password hash for one of the acting agency's users."""
    return bool(_call("directory_password_set", [user_id, password_hash], using=using)[0])
