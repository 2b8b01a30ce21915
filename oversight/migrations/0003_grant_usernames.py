"""Keep the auditor's, grantor's and revoker's usernames on the grant.

The directory is row-level secured by each user's agency, and a grant joins users of three
agencies (the program office, the oversight body, the overseen agency): readers of a grant could
not follow its user relations, so the grant records the names it must show.
"""

from django.db import migrations, models

BACKFILL_SQL = """
UPDATE oversight_oversightgrant g SET auditor_username = u.username
  FROM tenants_user u WHERE u.id = g.auditor_id;
UPDATE oversight_oversightgrant g SET granted_by_username = u.username
  FROM tenants_user u WHERE u.id = g.granted_by_id;
UPDATE oversight_oversightgrant g SET revoked_by_username = u.username
  FROM tenants_user u WHERE u.id = g.revoked_by_id;
"""


class Migration(migrations.Migration):
    dependencies = [("oversight", "0002_audit_exports")]

    operations = [
        migrations.AddField(
            model_name="oversightgrant",
            name="auditor_username",
            field=models.CharField(default="", max_length=150),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="oversightgrant",
            name="granted_by_username",
            field=models.CharField(default="", max_length=150),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="oversightgrant",
            name="revoked_by_username",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
    ]
