"""An exigent approval names the officer it is granted to and the purpose it is granted for.

Rows entered before: the officer is the one who entered the request (what the record meant
until now); the purpose was never recorded, so it stays blank and the policy denies any search
relying on such a row (E-09) until a new approval is entered.
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenants.same_agency import same_agency_reference_sql

TABLE = "authorizations_exigentapproval"


def grant_to_requester(apps: Any, schema_editor: Any) -> None:
    """Set the officer of every existing row, agency by agency (row-level security binds the
    owner too)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id FROM tenants_agency")
        for (agency_id,) in cursor.fetchall():
            cursor.execute("SELECT set_config('app.agency_id', %s, true)", [agency_id])
            cursor.execute(
                f"UPDATE {TABLE} SET granted_to_id = entered_by_id WHERE granted_to_id IS NULL"  # noqa: S608
            )
        cursor.execute("SELECT set_config('app.agency_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("authorizations", "0003_same_agency_references"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="exigentapproval",
            name="granted_to",
            field=models.ForeignKey(
                null=True,
                help_text="The officer who may rely on the approval.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="exigentapproval",
            name="purpose",
            field=models.CharField(
                default="",
                help_text="The search purpose the approval was granted for.",
                max_length=60,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(grant_to_requester, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="exigentapproval",
            name="granted_to",
            field=models.ForeignKey(
                help_text="The officer who may rely on the approval.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(*same_agency_reference_sql(TABLE, "granted_to_id", "tenants_user")),
    ]
