"""``UNIQUE (agency_id, id)`` on decisions, so a search can only rely on its agency's own."""

from django.db import migrations

from tenants.same_agency import agency_key_sql


class Migration(migrations.Migration):
    dependencies = [("policy", "0005_decision_id_full_length")]

    operations = [migrations.RunSQL(*agency_key_sql("policy_policydecision"))]
