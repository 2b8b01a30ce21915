"""Celery tasks of the audit trail."""

from __future__ import annotations

from celery import shared_task


@shared_task
def audit_checkpoint_all() -> int:
    """Sign every agency's chain head that moved since its last checkpoint (run by beat)."""
    from audit.checkpoints import audit_checkpoint_write
    from tenants.models import Agency

    written = 0
    for agency_id in Agency.objects.values_list("id", flat=True):
        if audit_checkpoint_write(agency_id=agency_id) is not None:
            written += 1
    return written
