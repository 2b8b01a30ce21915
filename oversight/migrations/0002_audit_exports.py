"""Signed audit exports, isolated by the requesting agency."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenants.rls import rls_disable_sql, rls_enable_sql


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0001_oversight_grants"),
        ("tenants", "0005_national_admin_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditExport",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("scope", models.JSONField(help_text="agencies, since, until, event_types")),
                (
                    "scope_key",
                    models.CharField(help_text="SHA-256 of the canonical scope.", max_length=64),
                ),
                ("withhold_names", models.BooleanField(default=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("events_total", models.BigIntegerField(default=0)),
                ("events_written", models.BigIntegerField(default=0)),
                ("manifest_sha256", models.CharField(blank=True, max_length=64)),
                ("error_code", models.CharField(blank=True, max_length=60)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tenants.agency",
                    ),
                ),
                (
                    "previous",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="oversight.auditexport",
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.RunSQL(
            rls_enable_sql("oversight_auditexport"), rls_disable_sql("oversight_auditexport")
        ),
    ]
