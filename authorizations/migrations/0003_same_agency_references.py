"""Authority records name only their own agency's users (author, verifier, revoker)."""

from django.db import migrations

from tenants.same_agency import agency_key_sql, same_agency_reference_sql

RECORDS = (
    "authorizations_warrant",
    "authorizations_exigentapproval",
    "authorizations_interagencyagreement",
)


class Migration(migrations.Migration):
    dependencies = [("authorizations", "0002_rls"), ("tenants", "0004_user_agency_key")]

    operations = [
        *(migrations.RunSQL(*agency_key_sql(table)) for table in RECORDS),
        *(
            migrations.RunSQL(*same_agency_reference_sql(table, column, "tenants_user"))
            for table in RECORDS
            for column in ("entered_by_id", "verified_by_id", "revoked_by_id")
        ),
    ]
