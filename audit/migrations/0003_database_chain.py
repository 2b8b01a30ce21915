"""Let PostgreSQL number and chain audit events; add MACs and signed checkpoints.

Events written before this migration are re-chained once under the new definition (their MAC
computed now with the configured key), before any checkpoint exists.
"""

import uuid

from django.db import migrations, models

from tenants.rls import rls_disable_sql, rls_enable_sql

CHAIN_SQL = r"""
CREATE FUNCTION audit_netstring(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, public AS $$
    SELECT convert_to(octet_length(convert_to(value, 'UTF8'))::text || ':', 'UTF8')
        || convert_to(value, 'UTF8') || convert_to(',', 'UTF8')
$$;

CREATE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- One writer per agency chain at a time; the lock lasts until the transaction ends.
    PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || NEW.agency_id, 0));
    SELECT seq, hash INTO last_seq, last_hash FROM audit_auditevent
        WHERE agency_id = NEW.agency_id ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := encode(sha256(
        audit_netstring('probity-audit-v1')
        || audit_netstring(NEW.prev_hash)
        || audit_netstring(NEW.seq::text)
        || audit_netstring(NEW.mac)
        || audit_netstring(NEW.agency_id)
        || audit_netstring(NEW.uid::text)
        || audit_netstring((extract(epoch FROM NEW.occurred_at) * 1000000)::bigint::text)
        || audit_netstring(coalesce(NEW.actor_id::text, ''))
        || audit_netstring(NEW.actor)
        || audit_netstring(NEW.action)
        || audit_netstring(NEW.object_type)
        || audit_netstring(NEW.object_id)
        || audit_netstring(NEW.data::text)
    ), 'hex');
    RETURN NEW;
END;
$$;

CREATE TRIGGER audit_chain_append BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_chain_append();
"""

CHAIN_BACKWARD = """
DROP TRIGGER IF EXISTS audit_chain_append ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_chain_append();
DROP FUNCTION IF EXISTS audit_netstring(text);
"""

CHECKPOINT_APPEND_ONLY = """
CREATE TRIGGER audit_checkpoint_no_update_delete BEFORE UPDATE OR DELETE
    ON audit_auditcheckpoint FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""

CHECKPOINT_APPEND_ONLY_BACKWARD = """
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_checkpoint_no_update_delete ON audit_auditcheckpoint;
"""


def rechain_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Give events written before this migration a uid, a MAC and a hash under the new rule.

    Agency by agency: row-level security binds the owner too (FORCE), except a superuser.
    """
    from audit.chain import GENESIS_HASH, EventContent, event_hash, event_mac

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenants_agency ORDER BY id")
        agencies = [row[0] for row in cursor.fetchall()]
        key = b""
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete")
        for agency_id in agencies:
            cursor.execute("SELECT set_config('app.agency_id', %s, true)", [agency_id])
            cursor.execute(
                "SELECT id, seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, "
                "actor_id, actor, action, object_type, object_id, data::text "
                "FROM audit_auditevent WHERE agency_id = %s ORDER BY seq",
                [agency_id],
            )
            rows = cursor.fetchall()
            if rows and not key:
                from audit.keys import audit_mac_key

                key = audit_mac_key()
            prev_hash = GENESIS_HASH
            for row_id, seq, micros, actor_id, actor, action, otype, oid, data in rows:
                uid = str(uuid.uuid4())
                content = EventContent(
                    agency_id, uid, micros, actor_id, actor, action, otype, oid, data
                )
                mac = event_mac(key, content)
                digest = event_hash(prev_hash=prev_hash, seq=seq, mac=mac, content=content)
                cursor.execute(
                    "UPDATE audit_auditevent SET uid = %s, mac = %s, prev_hash = %s, hash = %s "
                    "WHERE id = %s",
                    [uid, mac, prev_hash, digest, row_id],
                )
                prev_hash = digest
        cursor.execute("SELECT set_config('app.agency_id', '', true)")
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only"), ("tenants", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="uid",
            field=models.UUIDField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(
                blank=True, default="", help_text="HMAC-SHA256 of the content.", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.RunPython(rechain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(db_default=0, help_text="Set by the database."),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(db_default="", help_text="Set by the database.", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(
                db_default="", help_text="Set by the database.", max_length=64, unique=True
            ),
        ),
        migrations.RunSQL(CHAIN_SQL, CHAIN_BACKWARD),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("agency_id", models.CharField(max_length=40)),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("signed_at", models.DateTimeField()),
                (
                    "key_id",
                    models.CharField(
                        help_text="First 16 hex of SHA-256(public key).", max_length=16
                    ),
                ),
                ("signature", models.CharField(max_length=128)),
            ],
            options={
                "ordering": ["agency_id", "seq"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("agency_id", "seq"), name="audit_checkpoint_agency_seq"
                    )
                ],
            },
        ),
        migrations.RunSQL(CHECKPOINT_APPEND_ONLY, CHECKPOINT_APPEND_ONLY_BACKWARD),
        migrations.RunSQL(
            rls_enable_sql("audit_auditcheckpoint"), rls_disable_sql("audit_auditcheckpoint")
        ),
    ]
