"""Isolate follow-up tasks by agency."""

from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql


class Migration(migrations.Migration):
    dependencies = [("matching", "0004_search_authorities_followups")]

    operations = [
        migrations.RunSQL(
            rls_enable_sql("matching_followup"), rls_disable_sql("matching_followup")
        ),
    ]
