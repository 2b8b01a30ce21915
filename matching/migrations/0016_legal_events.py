"""Legal events, legal holds and deletion certificates, under the agency's row-level security.

Every reference stays inside one agency (composite keys). Deletion certificates are append-only
in PostgreSQL itself, for every role, like the audit trail and the policy decisions; an oversight
auditor reads them in scope. A purged subject takes no photo again, whichever path enrolls it.
"""

import uuid

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from oversight.rls import oversight_policy_drop_sql, oversight_policy_sql
from tenants.rls import rls_disable_sql, rls_enable_sql
from tenants.same_agency import agency_key_sql, same_agency_reference_sql

TABLES = ("matching_legalevent", "matching_legalhold", "matching_deletioncertificate")

REFERENCES = (
    ("matching_legalevent", "subject_id", "matching_subject"),
    ("matching_legalevent", "recorded_by_id", "tenants_user"),
    ("matching_legalhold", "subject_id", "matching_subject"),
    ("matching_legalhold", "placed_by_id", "tenants_user"),
    ("matching_legalhold", "lifted_by_id", "tenants_user"),
    ("matching_deletioncertificate", "subject_id", "matching_subject"),
    ("matching_deletioncertificate", "legal_event_id", "matching_legalevent"),
)

APPEND_ONLY = """
CREATE FUNCTION matching_certificate_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'deletion certificates are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER matching_certificate_no_update_delete
    BEFORE UPDATE OR DELETE ON matching_deletioncertificate
    FOR EACH ROW EXECUTE FUNCTION matching_certificate_refuse_change();
CREATE TRIGGER matching_certificate_no_truncate BEFORE TRUNCATE ON matching_deletioncertificate
    FOR EACH STATEMENT EXECUTE FUNCTION matching_certificate_refuse_change();
"""

APPEND_ONLY_BACKWARD = """
DROP TRIGGER IF EXISTS matching_certificate_no_truncate ON matching_deletioncertificate;
DROP TRIGGER IF EXISTS matching_certificate_no_update_delete ON matching_deletioncertificate;
DROP FUNCTION IF EXISTS matching_certificate_refuse_change();
"""

# Runs as the writer, inside its agency context: the subject row it reads is its own agency's.
# The row is locked FOR SHARE whatever its state, which waits for a purge in progress (it holds
# the row FOR UPDATE) and makes a purge that starts later wait for this insert to commit, so
# the purge deletes it: no photo can slip in beside a purge.
NO_PHOTO_FOR_PURGED = """
CREATE FUNCTION matching_photo_refuse_purged_subject() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    purged timestamptz;
BEGIN
    SELECT s.purged_at INTO purged FROM matching_subject s WHERE s.id = NEW.subject_id FOR SHARE;
    IF purged IS NOT NULL THEN
        RAISE EXCEPTION 'subject % was purged: no photo may be enrolled for it', NEW.subject_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER matching_photo_refuse_purged_subject
    BEFORE INSERT OR UPDATE OF subject_id ON matching_subjectphoto
    FOR EACH ROW EXECUTE FUNCTION matching_photo_refuse_purged_subject();

CREATE FUNCTION matching_held_refuse_purged_subject() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    purged timestamptz;
BEGIN
    SELECT s.purged_at INTO purged FROM matching_subject s
    WHERE s.gallery_id = NEW.gallery_id AND s.ref = NEW.subject_ref FOR SHARE;
    IF purged IS NOT NULL THEN
        RAISE EXCEPTION 'subject % was purged: no photo may be held for it', NEW.subject_ref
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER matching_held_refuse_purged_subject
    BEFORE INSERT ON matching_heldphoto
    FOR EACH ROW EXECUTE FUNCTION matching_held_refuse_purged_subject();
"""

NO_PHOTO_FOR_PURGED_BACKWARD = """
DROP TRIGGER IF EXISTS matching_held_refuse_purged_subject ON matching_heldphoto;
DROP FUNCTION IF EXISTS matching_held_refuse_purged_subject();
DROP TRIGGER IF EXISTS matching_photo_refuse_purged_subject ON matching_subjectphoto;
DROP FUNCTION IF EXISTS matching_photo_refuse_purged_subject();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0015_sealed_held_photos"),
        ("tenants", "0006_directory_policy_people"),
        ("oversight", "0004_policy_revision_reads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="subject",
            name="purged_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Set when a legal event purged the subject: photos and faces are gone and no photo may be enrolled for it again.",
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="LegalEvent",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("acquittal", "Acquittal"),
                            ("charges_withdrawn", "Charges Withdrawn"),
                            ("charges_stayed", "Charges Stayed"),
                            ("record_suspension", "Record Suspension"),
                            ("ycja_access_period_end", "Ycja Access Period End"),
                        ],
                        max_length=40,
                    ),
                ),
                ("event_date", models.DateField()),
                (
                    "reference",
                    models.CharField(
                        help_text="Court docket or records reference.", max_length=120
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("source", models.CharField(help_text="api or import", max_length=20)),
                (
                    "due_at",
                    models.DateTimeField(help_text="When the subject becomes due for purging."),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="tenants.agency"
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legal_events",
                        to="matching.subject",
                    ),
                ),
            ],
            options={
                "ordering": ["due_at"],
            },
        ),
        migrations.CreateModel(
            name="DeletionCertificate",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject_ref", models.CharField(max_length=120)),
                ("gallery_slug", models.CharField(max_length=60)),
                ("photos_deleted", models.PositiveIntegerField()),
                ("faces_deleted", models.PositiveIntegerField()),
                ("held_photos_deleted", models.PositiveIntegerField()),
                ("uploads_deleted", models.PositiveIntegerField()),
                (
                    "photo_sha256",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=64), default=list, size=None
                    ),
                ),
                (
                    "event_kind",
                    models.CharField(
                        choices=[
                            ("acquittal", "Acquittal"),
                            ("charges_withdrawn", "Charges Withdrawn"),
                            ("charges_stayed", "Charges Stayed"),
                            ("record_suspension", "Record Suspension"),
                            ("ycja_access_period_end", "Ycja Access Period End"),
                        ],
                        max_length=40,
                    ),
                ),
                ("event_date", models.DateField()),
                ("event_reference", models.CharField(max_length=120)),
                ("rule_id", models.CharField(max_length=40)),
                ("citation", models.CharField(max_length=300)),
                (
                    "deleted_by",
                    models.CharField(help_text="A username, or system.", max_length=150),
                ),
                ("deleted_at", models.DateTimeField()),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="tenants.agency"
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="matching.subject",
                    ),
                ),
                (
                    "legal_event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="matching.legalevent",
                    ),
                ),
            ],
            options={
                "ordering": ["-deleted_at"],
            },
        ),
        migrations.CreateModel(
            name="LegalHold",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("reason", models.TextField()),
                ("placed_at", models.DateTimeField(auto_now_add=True)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                (
                    "agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, to="tenants.agency"
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "placed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="legal_holds",
                        to="matching.subject",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("lifted_at__isnull", True)),
                        fields=("subject",),
                        name="legal_hold_one_active_per_subject",
                    )
                ],
            },
        ),
        *(migrations.RunSQL(rls_enable_sql(t), rls_disable_sql(t)) for t in TABLES),
        migrations.RunSQL(*agency_key_sql("matching_legalevent")),
        *(migrations.RunSQL(*same_agency_reference_sql(*r)) for r in REFERENCES),
        migrations.RunSQL(APPEND_ONLY, APPEND_ONLY_BACKWARD),
        migrations.RunSQL(
            oversight_policy_sql("matching_deletioncertificate"),
            oversight_policy_drop_sql("matching_deletioncertificate"),
        ),
        migrations.RunSQL(NO_PHOTO_FOR_PURGED, NO_PHOTO_FOR_PURGED_BACKWARD),
    ]
