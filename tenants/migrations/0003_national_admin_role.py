"""Add the national administrator role (grants oversight scopes)."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0002_idempotency_key'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='roles',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('investigator', 'Investigator'), ('analyst', 'Analyst'), ('supervisor', 'Supervisor'), ('compliance_officer', 'Compliance Officer'), ('agency_admin', 'Agency Admin'), ('auditor', 'Auditor'), ('national_admin', 'National Admin')], max_length=30), blank=True, default=list, size=None),
        ),
    ]
