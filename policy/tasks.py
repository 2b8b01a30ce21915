"""Celery tasks of the policy: thin wrappers that take ids only and call the services."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.db import OperationalError

from policy.revisions.replay import replay_execute, replay_fail


@shared_task(bind=True, acks_late=True, max_retries=3)
def policy_replay_run(self, replay_id: str, agency_id: str) -> None:  # type: ignore[no-untyped-def]
    """Replay a revision over recorded decisions; a finished replay is not run again."""
    try:
        replay_execute(agency_id=agency_id, replay_id=uuid.UUID(replay_id))
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
    except Exception as exc:
        replay_fail(agency_id=agency_id, replay_id=uuid.UUID(replay_id), error=type(exc).__name__)
        raise
