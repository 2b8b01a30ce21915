"""Isolate candidate reviews by agency."""

from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql


class Migration(migrations.Migration):
    dependencies = [("matching", "0006_candidate_reviews")]

    operations = [
        migrations.RunSQL(
            rls_enable_sql("matching_candidatereview"), rls_disable_sql("matching_candidatereview")
        ),
    ]
