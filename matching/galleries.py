"""Gallery writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from audit.services import audit_record
from matching.models import Gallery, LegalBasis
from tenants.context import agency_transaction
from tenants.models import Agency


def gallery_create(
    *,
    agency: Agency,
    slug: str,
    name: str,
    legal_basis: str,
    contains_youth_records: bool,
    ycja_access_period_enforced: bool = False,
    consent_express: bool = False,
    cai_disclosure_filed: bool = False,
    authorized_case_number: str = "",
    actor: Any = "system",
) -> Gallery:
    """Create a gallery of ``agency`` with its recorded legal basis."""
    if legal_basis not in LegalBasis.values:
        raise ValidationError({"legal_basis": f"unknown legal basis {legal_basis!r}"})
    gallery = Gallery(
        agency=agency,
        slug=slug,
        name=name,
        legal_basis=legal_basis,
        contains_youth_records=contains_youth_records,
        ycja_access_period_enforced=ycja_access_period_enforced,
        consent_express=consent_express,
        cai_disclosure_filed=cai_disclosure_filed,
        authorized_case_number=authorized_case_number,
    )
    gallery.full_clean(validate_unique=False)
    with agency_transaction(agency.id):
        if Gallery.objects.filter(agency=agency, slug=slug).exists():
            raise ValidationError({"id": f"gallery {slug!r} already exists"})
        gallery.save()
        audit_record(
            agency_id=agency.id,
            actor=actor,
            action="gallery.created",
            object_type="gallery",
            object_id=slug,
            data={"legal_basis": legal_basis, "contains_youth_records": contains_youth_records},
        )
    return gallery
