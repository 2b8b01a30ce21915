"""Add the national administrator role (grants oversight scopes), also to the directory's checks."""

import importlib

import django.contrib.postgres.fields
from django.db import migrations, models

_DIRECTORY = importlib.import_module("tenants.migrations.0003_directory_least_privilege")
_USER_CREATE = _DIRECTORY.FUNCTIONS["directory_user_create(text,text,text[],text,boolean)"]
_ROLES_WITH_NATIONAL_ADMIN = _DIRECTORY.ROLES.replace("'auditor'", "'auditor','national_admin'")


def _user_create_sql(roles: str) -> str:
    return _USER_CREATE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(
        _DIRECTORY.ROLES, roles
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_user_agency_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="roles",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("investigator", "Investigator"),
                        ("analyst", "Analyst"),
                        ("supervisor", "Supervisor"),
                        ("compliance_officer", "Compliance Officer"),
                        ("agency_admin", "Agency Admin"),
                        ("auditor", "Auditor"),
                        ("national_admin", "National Admin"),
                    ],
                    max_length=30,
                ),
                blank=True,
                default=list,
                size=None,
            ),
        ),
        migrations.RunSQL(
            _user_create_sql(_ROLES_WITH_NATIONAL_ADMIN), _user_create_sql(_DIRECTORY.ROLES)
        ),
    ]
