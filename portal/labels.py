"""What people read instead of codes: a translatable label for every vocabulary value shown.

The codes come from ``policy/vocabulary.py`` (and the search states); a test checks that each
one has a label here, so a new code cannot reach a page as a bare identifier.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PURPOSE_LABELS: dict[str, Promise] = {
    "criminal_investigation": _("Criminal investigation"),
    "child_exploitation": _("Child sexual exploitation investigation"),
    "victim_identification": _("Identifying a victim"),
    "national_security": _("National security investigation"),
    "missing_person": _("Missing person"),
    "unidentified_deceased": _("Identifying a deceased person"),
    "imminent_threat_to_life": _("Imminent threat to life"),
    "general_surveillance": _("General surveillance"),
    "protest_monitoring": _("Monitoring a protest or demonstration"),
    "immigration_status": _("Immigration status"),
    "employment_screening": _("Employment screening"),
    "personal_use": _("Personal use"),
    "demographic_profiling": _("Demographic profiling"),
    "civil_or_bylaw_enforcement": _("Civil or by-law enforcement"),
    "vendor_testing": _("Vendor testing"),
}

PROBE_SOURCE_LABELS: dict[str, Promise] = {
    "cctv": _("CCTV footage"),
    "booking_photo": _("Booking photo"),
    "witness_submission": _("Submitted by a witness"),
    "body_worn_camera": _("Body-worn camera"),
    "social_media_scrape": _("Scraped from social media"),
    "public_web": _("Public web page"),
    "surveillance_live_feed": _("Live surveillance feed"),
    "victim_photo": _("Photo of a victim"),
}

# Offence categories are free text in the policy; these are the ones the portal offers, with
# the ones the policy gives meaning to (low-severity list, child exploitation, terrorism).
OFFENCE_CATEGORY_LABELS: dict[str, Promise] = {
    "homicide": _("Homicide"),
    "robbery": _("Robbery"),
    "assault": _("Assault"),
    "sexual_assault": _("Sexual assault"),
    "child_sexual_exploitation": _("Child sexual exploitation"),
    "human_trafficking": _("Human trafficking"),
    "kidnapping": _("Kidnapping or forcible confinement"),
    "break_and_enter": _("Break and enter"),
    "theft_over_5000": _("Theft over $5,000"),
    "theft_under_5000": _("Theft under $5,000"),
    "fraud_over_5000": _("Fraud over $5,000"),
    "fraud_under_5000": _("Fraud under $5,000"),
    "mischief_under_5000": _("Mischief under $5,000"),
    "drug_trafficking": _("Drug trafficking"),
    "firearms": _("Firearms offence"),
    "terrorism": _("Terrorism"),
    "national_security_offence": _("National security offence"),
    "administration_of_justice": _("Offence against the administration of justice"),
    "disturbance": _("Causing a disturbance"),
    "provincial_offence": _("Provincial offence"),
    "bylaw": _("By-law infraction"),
}

STATUS_LABELS: dict[str, Promise] = {
    "submitted": _("Submitted"),
    "denied": _("Denied by policy"),
    "queued": _("Queued"),
    "running": _("Running"),
    "awaiting_face_choice": _("Awaiting face choice"),
    "awaiting_review": _("Awaiting review"),
    "reviewed": _("Reviewed"),
    "failed": _("Failed"),
    "cancelled": _("Cancelled"),
    "purged": _("Purged"),
}

DISPOSITION_LABELS: dict[str, Promise] = {
    "pending": _("Awaiting review"),
    "possible_match": _("Possible match"),
    "not_a_match": _("Not a match"),
    "inconclusive": _("Inconclusive"),
}

LEAD_OUTCOME_LABELS: dict[str, Promise] = {
    "confirmed": _("Identity confirmed by other evidence"),
    "excluded": _("Excluded by other evidence"),
    "charged": _("Person charged"),
}

LEGAL_EVENT_KIND_LABELS: dict[str, Promise] = {
    "acquittal": _("Acquittal"),
    "charges_withdrawn": _("Charges withdrawn"),
    "charges_stayed": _("Charges stayed"),
    "record_suspension": _("Record suspension"),
    "ycja_access_period_end": _("End of a YCJA access period"),
}

# What recording a legal event did to its subject (one row of an import, or one event).
LEGAL_EVENT_OUTCOME_LABELS: dict[str, Promise] = {
    "purged": _("Purged"),
    "held": _("On legal hold: not purged"),
    "scheduled": _("Purge scheduled"),
    "already_purged": _("Already purged"),
    "valid": _("Valid (nothing written)"),
    "error": _("Error"),
}

ROLE_LABELS: dict[str, Promise] = {
    "investigator": _("Investigator"),
    "analyst": _("Analyst"),
    "supervisor": _("Supervisor"),
    "compliance_officer": _("Compliance officer"),
    "agency_admin": _("Agency administrator"),
    "auditor": _("Auditor"),
    "national_admin": _("National program administrator"),
}

REGION_LABELS: dict[str, Promise] = {
    "CA": _("Canada (federal)"),
    "CA-AB": _("Alberta"),
    "CA-BC": _("British Columbia"),
    "CA-MB": _("Manitoba"),
    "CA-NB": _("New Brunswick"),
    "CA-NL": _("Newfoundland and Labrador"),
    "CA-NS": _("Nova Scotia"),
    "CA-NT": _("Northwest Territories"),
    "CA-NU": _("Nunavut"),
    "CA-ON": _("Ontario"),
    "CA-PE": _("Prince Edward Island"),
    "CA-QC": _("Quebec"),
    "CA-SK": _("Saskatchewan"),
    "CA-YT": _("Yukon"),
}


def label(table: dict[str, Promise], code: str) -> str:
    """Return the label of ``code``, or the code itself when the table does not know it."""
    found = table.get(code)
    return str(found) if found is not None else code


WARRANT_KIND_LABELS: dict[str, Promise] = {
    "search_warrant": _("Search warrant"),
    "general_warrant": _("General warrant"),
    "production_order": _("Production order"),
}

AGREEMENT_KIND_LABELS: dict[str, Promise] = {
    "joint_forces_operation": _("Joint forces operation"),
    "assistance_request": _("Request for assistance"),
    "information_sharing_agreement": _("Information-sharing agreement"),
    "mlat": _("Mutual legal assistance treaty request"),
    "international_arrangement": _("International arrangement"),
}

# An authority record's state as the portal shows it: its status, or expired once past expiry.
RECORD_STATE_LABELS: dict[str, Promise] = {
    "pending": _("Pending verification"),
    "verified": _("Verified"),
    "revoked": _("Revoked"),
    "expired": _("Expired"),
}

RECORD_TYPE_LABELS: dict[str, Promise] = {
    "warrants": _("Warrant or production order"),
    "exigent-approvals": _("Exigent approval"),
    "interagency-agreements": _("Interagency agreement"),
}

FOLLOW_UP_KIND_LABELS: dict[str, Promise] = {
    "supervisor_notification": _("Supervisor notification"),
    "post_hoc_review": _("Post-hoc review of an exigent search"),
    "judicial_authorization_followup": _("Judicial authorization follow-up"),
}
