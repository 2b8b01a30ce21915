"""A probe whose scan data is incomplete fails its search; it is never searched as gray fill."""

from __future__ import annotations

from typing import Any

import pytest

from matching.models import Candidate, SearchStatus
from tenants import errors
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo, wait_for
from tests.matching.test_probe_cost import jpeg_cut_with_end_marker
from tests.matching.test_search_flow import finished, submit

pytestmark = pytest.mark.worker


def test_a_cut_jpeg_with_an_end_marker_fails_instead_of_matching(
    committed: None, celery_worker: Any, tenant_a: Tenant
) -> None:
    """The face survives in the part kept, so the gray-filled image used to match Obama."""
    created = submit(tenant_a, jpeg_cut_with_end_marker(photo("obama3.jpg"), keep=0.45))
    assert created.status_code == 201, created.content
    assert created.json()["status"] == SearchStatus.QUEUED
    body = wait_for(lambda: finished(tenant_a, created.json()["id"]))
    assert body["status"] == SearchStatus.FAILED, body
    assert body["error"]["code"] == errors.IMAGE_TRUNCATED
    with agency_transaction(tenant_a.agency.id):
        assert not Candidate.objects.filter(search_id=body["id"]).exists()
