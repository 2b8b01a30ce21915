"""Controlled vocabularies of the policy input (policy specification §2).

The API refuses values outside them with a 400, before the policy sees the request; the policy
still denies unknown values on its own (fail closed), so neither side relies on the other.
"""

from __future__ import annotations

PURPOSES_PERMITTED = (
    "criminal_investigation",
    "child_exploitation",
    "victim_identification",
    "national_security",
    "missing_person",
    "unidentified_deceased",
    "imminent_threat_to_life",
)
PURPOSES_PROHIBITED = (
    "general_surveillance",
    "protest_monitoring",
    "immigration_status",
    "employment_screening",
    "personal_use",
    "demographic_profiling",
    "civil_or_bylaw_enforcement",
    "vendor_testing",
)
PROBE_SOURCES = (
    "cctv",
    "booking_photo",
    "witness_submission",
    "body_worn_camera",
    "social_media_scrape",
    "public_web",
    "surveillance_live_feed",
    "victim_photo",
)
WARRANT_KINDS = ("search_warrant", "general_warrant", "production_order", "none")
INTERAGENCY_KINDS = (
    "joint_forces_operation",
    "assistance_request",
    "information_sharing_agreement",
    "mlat",
    "international_arrangement",
)
REGION_CODE_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"
