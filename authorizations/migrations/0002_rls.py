"""Isolate authority records by agency."""

from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql

TABLES = [
    "authorizations_warrant",
    "authorizations_exigentapproval",
    "authorizations_interagencyagreement",
]


class Migration(migrations.Migration):
    dependencies = [("authorizations", "0001_initial")]

    operations = [migrations.RunSQL(rls_enable_sql(t), rls_disable_sql(t)) for t in TABLES]
