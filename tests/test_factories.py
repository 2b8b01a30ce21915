"""The factories keep every related row in one agency."""

from __future__ import annotations

from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.factories import CandidateFactory, ProbeFactory


def test_a_candidate_its_search_and_its_subject_share_the_galleries_agency(
    db: None, tenant_b: Tenant
) -> None:
    with agency_transaction(tenant_b.agency.id):
        candidate = CandidateFactory.create(
            search__gallery=tenant_b.gallery, search__requested_by=tenant_b.users["investigator"]
        )
        probe = ProbeFactory.create(search=candidate.search)
    agencies = {
        candidate.agency_id,
        candidate.search.agency_id,
        candidate.subject.agency_id,
        candidate.subject.gallery.agency_id,
        probe.agency_id,
    }
    assert agencies == {tenant_b.agency.id}
    assert candidate.subject.gallery_id == candidate.search.gallery_id == tenant_b.gallery.id
