"""Make recorded policy decisions append-only in PostgreSQL itself.

A worker runs a search only on an allowing decision it reads back, so a decision must never
change after it is written: UPDATE, DELETE and TRUNCATE are refused for every role, the owner
included (and the app role holds no such privileges either).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION policy_decision_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy decisions are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER policy_decision_no_update_delete
    BEFORE UPDATE OR DELETE ON policy_policydecision
    FOR EACH ROW EXECUTE FUNCTION policy_decision_refuse_change();
CREATE TRIGGER policy_decision_no_truncate BEFORE TRUNCATE ON policy_policydecision
    FOR EACH STATEMENT EXECUTE FUNCTION policy_decision_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS policy_decision_no_truncate ON policy_policydecision;
DROP TRIGGER IF EXISTS policy_decision_no_update_delete ON policy_policydecision;
DROP FUNCTION IF EXISTS policy_decision_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("policy", "0003_rls")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
