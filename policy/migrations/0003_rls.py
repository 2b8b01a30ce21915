"""Isolate recorded decisions by agency."""

from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql


class Migration(migrations.Migration):
    dependencies = [("policy", "0002_initial")]

    operations = [
        migrations.RunSQL(
            rls_enable_sql("policy_policydecision"), rls_disable_sql("policy_policydecision")
        ),
    ]
