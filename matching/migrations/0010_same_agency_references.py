"""Every reference between tenant rows stays inside one agency, enforced by PostgreSQL.

Face vectors are left out: their table is partitioned by agency, and a face is only ever read
in its own partition together with its own gallery.
"""

from django.db import migrations

from tenants.same_agency import agency_key_sql, same_agency_reference_sql

TARGETS = (
    "matching_gallery",
    "matching_subject",
    "matching_enrollmentbatch",
    "matching_search",
    "matching_candidate",
)

REFERENCES = (
    ("matching_subject", "gallery_id", "matching_gallery"),
    ("matching_subjectphoto", "subject_id", "matching_subject"),
    ("matching_enrollmentbatch", "gallery_id", "matching_gallery"),
    ("matching_enrollmentbatch", "created_by_id", "tenants_user"),
    ("matching_enrollmentupload", "batch_id", "matching_enrollmentbatch"),
    ("matching_search", "gallery_id", "matching_gallery"),
    ("matching_search", "requested_by_id", "tenants_user"),
    ("matching_search", "warrant_record_id", "authorizations_warrant"),
    ("matching_search", "exigent_record_id", "authorizations_exigentapproval"),
    ("matching_search", "agreement_record_id", "authorizations_interagencyagreement"),
    ("matching_search", "decision_id", "policy_policydecision"),
    ("matching_probe", "search_id", "matching_search"),
    ("matching_candidate", "search_id", "matching_search"),
    ("matching_candidate", "subject_id", "matching_subject"),
    ("matching_candidatereview", "candidate_id", "matching_candidate"),
    ("matching_candidatereview", "reviewer_id", "tenants_user"),
    ("matching_followup", "search_id", "matching_search"),
    ("matching_followup", "completed_by_id", "tenants_user"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0009_sealed_biometric_bytes"),
        ("tenants", "0004_user_agency_key"),
        ("policy", "0006_decision_agency_key"),
        ("authorizations", "0003_same_agency_references"),
    ]

    operations = [
        *(migrations.RunSQL(*agency_key_sql(table)) for table in TARGETS),
        *(migrations.RunSQL(*same_agency_reference_sql(*reference)) for reference in REFERENCES),
    ]
