"""Oversight grants, and the read policy admitting an auditor to the agencies granted."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from oversight.rls import (
    FUNCTION_BACKWARD_SQL,
    FUNCTION_SQL,
    READABLE_TABLES,
    oversight_policy_drop_sql,
    oversight_policy_sql,
)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenants", "0005_national_admin_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("audit", "0003_database_chain"),
        ("matching", "0009_sealed_biometric_bytes"),
        ("policy", "0003_rls"),
    ]

    operations = [
        migrations.CreateModel(
            name="OversightGrant",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("starts_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField()),
                ("reason", models.CharField(max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="overseen_grants",
                        to="tenants.agency",
                    ),
                ),
                (
                    "auditor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="oversight_grants",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "body",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="oversight_grants",
                        to="tenants.agency",
                    ),
                ),
                (
                    "granted_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-starts_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                        name="oversight_grant_period_positive",
                    )
                ],
            },
        ),
        migrations.RunSQL(FUNCTION_SQL, FUNCTION_BACKWARD_SQL),
        *(
            migrations.RunSQL(oversight_policy_sql(table), oversight_policy_drop_sql(table))
            for table in READABLE_TABLES
        ),
    ]
