"""An oversight auditor reads the policy revisions that were in force for an agency it oversees.

The overseen agency's overlays stay private to it once superseded; a report of the policy in
force during a period needs them, so the auditor's SELECT-only predicate admits the overlays of
the granted agencies that have been active (never drafts, submissions or rejections).
"""

from django.db import migrations

POLICY_SQL = """
CREATE POLICY oversight_read ON policy_policyrevision FOR SELECT
    USING (status IN ('active', 'superseded') AND oversight_admits(agency_id::text));
"""


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0003_grant_usernames"),
        ("policy", "0008_policy_revision_rules"),
    ]

    operations = [
        migrations.RunSQL(
            POLICY_SQL, "DROP POLICY IF EXISTS oversight_read ON policy_policyrevision;"
        ),
    ]
