"""Revisions fixed once submitted, isolated by agency, seeded from the files in policy/rego."""

from typing import Any

from django.conf import settings
from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql

IMMUTABLE_SQL = """
CREATE FUNCTION policy_revision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'draft' THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'policy revision % is %: it cannot be deleted', OLD.id, OLD.status;
    END IF;
    IF OLD.status = 'draft' THEN RETURN NEW; END IF;
    IF (NEW.scope, NEW.agency_id, NEW.number, NEW.modules, NEW.data, NEW.digest, NEW.parent_id,
        NEW.rollback_of_id, NEW.change_note, NEW.justification, NEW.checks, NEW.checks_digest,
        NEW.author_id, NEW.created_at, NEW.submitted_at)
       IS DISTINCT FROM
       (OLD.scope, OLD.agency_id, OLD.number, OLD.modules, OLD.data, OLD.digest, OLD.parent_id,
        OLD.rollback_of_id, OLD.change_note, OLD.justification, OLD.checks, OLD.checks_digest,
        OLD.author_id, OLD.created_at, OLD.submitted_at) THEN
        RAISE EXCEPTION 'policy revision % is %: its content is immutable', OLD.id, OLD.status;
    END IF;
    IF OLD.reviewer_id IS NOT NULL AND (NEW.reviewer_id, NEW.reviewed_at, NEW.review_comment)
       IS DISTINCT FROM (OLD.reviewer_id, OLD.reviewed_at, OLD.review_comment) THEN
        RAISE EXCEPTION 'policy revision % has been reviewed: the review is immutable', OLD.id;
    END IF;
    IF OLD.activated_at IS NOT NULL AND (NEW.activated_by_id, NEW.activated_at)
       IS DISTINCT FROM (OLD.activated_by_id, OLD.activated_at) THEN
        RAISE EXCEPTION 'policy revision % was activated: its activation is immutable', OLD.id;
    END IF;
    IF NOT ((OLD.status = 'submitted' AND NEW.status IN ('approved', 'rejected'))
            OR (OLD.status = 'approved' AND NEW.status = 'active')
            OR (OLD.status = 'active' AND NEW.status = 'superseded')) THEN
        RAISE EXCEPTION 'policy revision % cannot go from % to %', OLD.id, OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER policy_revision_guard BEFORE UPDATE OR DELETE ON policy_policyrevision
    FOR EACH ROW EXECUTE FUNCTION policy_revision_guard();
CREATE FUNCTION policy_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER policy_revision_no_truncate BEFORE TRUNCATE ON policy_policyrevision
    FOR EACH STATEMENT EXECUTE FUNCTION policy_refuse_change();
CREATE TRIGGER policy_activation_append_only BEFORE UPDATE OR DELETE ON policy_policyactivation
    FOR EACH ROW EXECUTE FUNCTION policy_refuse_change();
CREATE TRIGGER policy_activation_no_truncate BEFORE TRUNCATE ON policy_policyactivation
    FOR EACH STATEMENT EXECUTE FUNCTION policy_refuse_change();
"""

IMMUTABLE_REVERSE_SQL = """
DROP TRIGGER IF EXISTS policy_activation_no_truncate ON policy_policyactivation;
DROP TRIGGER IF EXISTS policy_activation_append_only ON policy_policyactivation;
DROP TRIGGER IF EXISTS policy_revision_no_truncate ON policy_policyrevision;
DROP TRIGGER IF EXISTS policy_revision_guard ON policy_policyrevision;
DROP FUNCTION IF EXISTS policy_refuse_change();
DROP FUNCTION IF EXISTS policy_revision_guard();
"""

# The baseline (no agency) is national; an overlay belongs to its agency. Active revisions are
# readable from every agency's context because every engine must load all of them (they are
# also what the bundle endpoint serves to OPA servers); drafts and history stay private.
_OWN = "agency_id IS NULL OR agency_id = NULLIF(current_setting('app.agency_id', true), '')"
RLS_SQL = f"""
ALTER TABLE policy_policyrevision ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_policyrevision FORCE ROW LEVEL SECURITY;
CREATE POLICY revision_scope ON policy_policyrevision USING ({_OWN}) WITH CHECK ({_OWN});
CREATE POLICY revision_active_readable ON policy_policyrevision FOR SELECT
    USING (status = 'active');
"""
RLS_REVERSE_SQL = """
DROP POLICY IF EXISTS revision_active_readable ON policy_policyrevision;
DROP POLICY IF EXISTS revision_scope ON policy_policyrevision;
ALTER TABLE policy_policyrevision NO FORCE ROW LEVEL SECURITY;
ALTER TABLE policy_policyrevision DISABLE ROW LEVEL SECURITY;
"""


def seed_baseline(apps: Any, schema_editor: Any) -> None:
    """Store the files in policy/rego as the first, active baseline revision."""
    from policy.bundles.bundle import bundle_from_directory

    revision_model = apps.get_model("policy", "PolicyRevision")
    activation_model = apps.get_model("policy", "PolicyActivation")
    db = schema_editor.connection.alias
    if revision_model.objects.using(db).filter(scope="baseline").exists():
        return
    files = bundle_from_directory(settings.POLICY_REGO_DIR, include_tests=True)
    served = bundle_from_directory(settings.POLICY_REGO_DIR)
    revision = revision_model.objects.using(db).create(
        scope="baseline",
        number=1,
        status="active",
        modules=files.modules,
        data=files.data,
        digest=files.revision,
        change_note="Seed revision: the files in policy/rego.",
        checks={},
        checks_digest="",
    )
    activation_model.objects.using(db).create(
        revision=revision, bundle_revision=served.revision, revision_ids=[str(revision.id)]
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0007_policy_revisions")]

    operations = [
        migrations.RunSQL(IMMUTABLE_SQL, IMMUTABLE_REVERSE_SQL),
        migrations.RunSQL(RLS_SQL, RLS_REVERSE_SQL),
        migrations.RunSQL(
            rls_enable_sql("policy_policyreplay"), rls_disable_sql("policy_policyreplay")
        ),
        migrations.RunPython(seed_baseline, migrations.RunPython.noop),
    ]
