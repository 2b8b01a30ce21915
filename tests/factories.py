"""factory_boy factories for tenant-owned rows; related objects always share one agency.

Agencies, users and galleries come from the services (``tests.conftest`` builds two tenants):
an agency needs its face partition, which only the owner connection may create. Everything
below a gallery takes its agency from the object above it, so a factory can never build a row
that points across agencies (PostgreSQL's row-level security would refuse it anyway).
Build them inside ``agency_transaction(agency_id)``.
"""

from __future__ import annotations

from typing import Any

from factory.declarations import SelfAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory

from matching.models import Candidate, Probe, Search, SearchStatus, Subject


class SearchFactory(DjangoModelFactory[Search]):
    """A search in its gallery's agency, requested by one of that agency's users."""

    class Meta:
        model = Search

    gallery: Any = None
    agency = SelfAttribute("gallery.agency")
    requested_by: Any = None
    status = SearchStatus.QUEUED
    purpose = "criminal_investigation"
    case_number = Sequence(lambda n: f"2026-{n:06d}")
    justification = "Armed robbery suspect captured on store CCTV; no other leads."
    probe_meta: dict[str, Any] = {}
    max_candidates = 10
    min_similarity = 0.8
    max_distance = 0.6


class ProbeFactory(DjangoModelFactory[Probe]):
    """The probe of a search, in the search's agency."""

    class Meta:
        model = Probe

    search = SubFactory(SearchFactory)
    agency = SelfAttribute("search.agency")
    content = b"\xff\xd8\xff\xd9"
    content_type = "image/jpeg"
    sha256 = Sequence(lambda n: f"{n:064x}")
    size = 4
    width = 1
    height = 1


class SubjectFactory(DjangoModelFactory[Subject]):
    """A person in a gallery, in the gallery's agency."""

    class Meta:
        model = Subject

    gallery: Any = None
    agency = SelfAttribute("gallery.agency")
    ref = Sequence(lambda n: f"subject-{n}")


class CandidateFactory(DjangoModelFactory[Candidate]):
    """A candidate of a search: a subject of the search's own gallery, in its agency."""

    class Meta:
        model = Candidate

    search = SubFactory(SearchFactory)
    agency = SelfAttribute("search.agency")
    subject = SubFactory(SubjectFactory, gallery=SelfAttribute("..search.gallery"))
    rank = Sequence(lambda n: n + 1)
    face_id = 0
    distance = 0.4
    similarity = 0.91
