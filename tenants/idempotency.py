"""``Idempotency-Key`` on create requests: a retried POST returns the first result.

The key is stored per agency and user (under row-level security) with a digest of the request;
the same key with the same request replays the stored response, with another request it is a
409, and while the first request is still running it is a 409 as well. Keys expire after
``IDEMPOTENCY_KEY_TTL_SECONDS``. A request that fails with an error stores nothing, so the
client may correct it and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.idempotency_models import IdempotencyKey
from tenants.models import User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
KEY_MAX_LENGTH = 255


def request_digest(request: Request) -> str:
    """Return a digest of what the request asks for: its path, fields and files' contents.

    Multipart bodies are compared by their parsed fields and file digests, not their bytes,
    because the same upload sent twice carries a different boundary.
    """
    files: dict[str, list[str]] = {}
    for name in sorted(request.FILES):
        digests = []
        for upload in request.FILES.getlist(name):
            digests.append(hashlib.sha256(upload.read()).hexdigest())
            upload.seek(0)
        files[name] = digests
    data: Any = request.data
    if hasattr(data, "lists"):
        data = {k: v for k, v in data.lists() if k not in request.FILES}
    canonical = json.dumps(
        {"operation": f"{request.method} {request.path}", "data": data, "files": files},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _key_from(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= KEY_MAX_LENGTH or not key.isprintable() or not key.isascii():
        raise ApiError(
            IDEMPOTENCY_KEY_INVALID,
            f"{HEADER} must be 1 to {KEY_MAX_LENGTH} printable ASCII characters.",
        )
    return key


def _replay(stored: IdempotencyKey) -> Response:
    response = Response(stored.response_body, status=stored.status_code)
    if stored.response_location:
        response["Location"] = stored.response_location
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(*, user: User, key: str, operation: str, digest: str) -> IdempotencyKey | None:
    """Claim ``key`` for this request; return the earlier, unexpired claim when there is one.

    One transaction: the insert runs in a savepoint, so a conflict leaves the transaction
    usable to read the earlier claim (or to replace it when it has expired).
    """
    agency_id = user.agency_id
    assert agency_id is not None  # noqa: S101 - agency users only
    now = timezone.now()
    claim = IdempotencyKey(
        agency_id=agency_id,
        user=user,
        key=key,
        operation=operation,
        request_digest=digest,
        expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS),
    )
    with agency_transaction(agency_id):
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
            return None
        except IntegrityError:
            earlier = IdempotencyKey.objects.select_for_update().get(
                agency_id=agency_id, user=user, key=key
            )
        if earlier.expires_at > now:
            return earlier
        earlier.delete()
        claim.save(force_insert=True)
    return None


def idempotent(
    request: Request,
    *,
    user: User,
    create: Callable[[], Response],
    current: Callable[[], Response] | None = None,
) -> Response:
    """Run ``create`` once per ``Idempotency-Key``; replay its response on a retry.

    With ``current``, a retry gets the object as it is now (``current()``, with the first
    response's status) and no response body is stored: for responses that show candidates,
    whose every viewing must go through the audited read.
    """
    key = _key_from(request)
    if key is None:
        return create()
    operation = f"{request.method} {request.path}"[:200]
    digest = request_digest(request)
    earlier = _claim(user=user, key=key, operation=operation, digest=digest)
    if earlier is not None:
        if earlier.request_digest != digest:
            raise ApiError(
                IDEMPOTENCY_KEY_REUSED,
                f"This {HEADER} was used for a different request.",
                http_status=409,
            )
        if earlier.status_code is None:
            raise ApiError(
                IDEMPOTENCY_KEY_IN_PROGRESS,
                f"A request with this {HEADER} is still being processed.",
                http_status=409,
            )
        if current is not None:
            fresh = current()
            fresh.status_code = earlier.status_code
            fresh[REPLAYED_HEADER] = "true"
            return fresh
        return _replay(earlier)
    agency_id = user.agency_id
    assert agency_id is not None  # noqa: S101
    try:
        response = create()
    except BaseException:
        with agency_transaction(agency_id):
            IdempotencyKey.objects.filter(agency_id=agency_id, user=user, key=key).delete()
        raise
    with agency_transaction(agency_id):
        IdempotencyKey.objects.filter(agency_id=agency_id, user=user, key=key).update(
            status_code=response.status_code,
            response_body=None if current is not None else response.data,
            response_location=response.get("Location", ""),
        )
    return response


def idempotency_keys_purge(*, agency_id: str) -> int:
    """Delete the agency's expired keys (run by beat)."""
    with agency_transaction(agency_id):
        deleted, _ = IdempotencyKey.objects.filter(
            agency_id=agency_id, expires_at__lte=timezone.now()
        ).delete()
    return deleted
