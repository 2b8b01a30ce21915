"""Record every change to ``matching_face`` in a log that workers' in-memory galleries follow.

A trigger on the partitioned parent (cloned onto every partition, present and future) writes
one row per inserted, updated or deleted face with the writing transaction's id, so a reader
can ask for "everything written by transactions my last snapshot did not see" and miss
nothing, whatever order concurrent transactions commit in. The log is under the same row-level security
as the faces; the trigger runs as the writer, inside the writer's agency context.
"""

from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql

CHANGE_LOG = """
CREATE TABLE matching_face_change (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id varchar(40) NOT NULL,
    gallery_id bigint NOT NULL,
    face_id bigint NOT NULL,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX matching_face_change_since ON matching_face_change (agency_id, gallery_id, xid);
CREATE INDEX matching_face_change_created ON matching_face_change (created_at);

CREATE FUNCTION matching_face_change_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO matching_face_change (agency_id, gallery_id, face_id)
        VALUES (OLD.agency_id, OLD.gallery_id, OLD.id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO matching_face_change (agency_id, gallery_id, face_id)
        VALUES (NEW.agency_id, NEW.gallery_id, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER matching_face_change_record
AFTER INSERT OR UPDATE OR DELETE ON matching_face
FOR EACH ROW EXECUTE FUNCTION matching_face_change_record();
"""

CHANGE_LOG_DROP = """
DROP TRIGGER IF EXISTS matching_face_change_record ON matching_face;
DROP FUNCTION IF EXISTS matching_face_change_record();
DROP TABLE IF EXISTS matching_face_change;
"""


class Migration(migrations.Migration):
    dependencies = [("matching", "0010_same_agency_references")]

    operations = [
        migrations.RunSQL(CHANGE_LOG, CHANGE_LOG_DROP),
        migrations.RunSQL(
            rls_enable_sql("matching_face_change"), rls_disable_sql("matching_face_change")
        ),
    ]
