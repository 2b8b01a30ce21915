"""Several-faces handling: the batch's choice, the photo's flag, and photos held for an admin."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenants.rls import rls_disable_sql, rls_enable_sql


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0011_face_change_log"),
        ("tenants", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollmentbatch",
            name="held",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="enrollmentbatch",
            name="several_faces",
            field=models.CharField(db_default="hold", default="hold", max_length=10),
        ),
        migrations.AddField(
            model_name="subjectphoto",
            name="face_choice",
            field=models.CharField(
                db_default="only",
                default="only",
                help_text="How the enrolled face was chosen: only, largest (automatic) or admin.",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="subjectphoto",
            name="faces_detected",
            field=models.PositiveSmallIntegerField(db_default=1, default=1),
        ),
        migrations.CreateModel(
            name="HeldPhoto",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject_ref", models.CharField(max_length=120)),
                ("display_name", models.CharField(blank=True, max_length=200)),
                ("filename", models.CharField(max_length=255)),
                ("sha256", models.CharField(max_length=64)),
                ("content", models.BinaryField()),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                (
                    "boxes",
                    models.JSONField(help_text="[[top, right, bottom, left], ...], largest first"),
                ),
                (
                    "embeddings",
                    models.JSONField(
                        help_text="one 128-d embedding per box; emptied on resolution"
                    ),
                ),
                ("model_name", models.CharField(max_length=80)),
                ("model_version", models.CharField(max_length=40)),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Pending"), ("enrolled", "Enrolled")],
                        default="pending",
                        max_length=20,
                    ),
                ),
                ("chosen_face", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="tenants.agency"
                    ),
                ),
                (
                    "batch",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="matching.enrollmentbatch",
                    ),
                ),
                (
                    "gallery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="held_photos",
                        to="matching.gallery",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("gallery", "subject_ref", "sha256"),
                        name="held_photo_gallery_subject_sha256",
                    )
                ],
            },
        ),
        migrations.RunSQL(
            rls_enable_sql("matching_heldphoto"), rls_disable_sql("matching_heldphoto")
        ),
    ]
