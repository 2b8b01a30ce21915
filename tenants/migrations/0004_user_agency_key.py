"""``UNIQUE (agency_id, id)`` on users, the target of same-agency references to a user."""

from django.db import migrations

from tenants.same_agency import agency_key_sql


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_directory_least_privilege")]

    operations = [migrations.RunSQL(*agency_key_sql("tenants_user"))]
