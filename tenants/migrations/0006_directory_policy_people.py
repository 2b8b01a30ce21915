# ruff: noqa: S608  (SQL assembled from this file's own constants only)
"""Name the compliance officers who wrote, approved and activated policy, whatever their agency.

A policy revision names its author, reviewer and activating officer by user id, and the
directory hides users of other agencies (the baseline's officers work in the national office;
an oversight reader sees no agency's users at all). Reports of the policy in force must name
them, so this function returns the usernames of the given ids, and only of compliance
officers: the only people who author, approve or activate a revision.
"""

import importlib

from django.db import migrations

_DIRECTORY = importlib.import_module("tenants.migrations.0003_directory_least_privilege")
SIGNATURE = "directory_policy_people(bigint[])"

FUNCTION_SQL = f"""
CREATE FUNCTION directory_policy_people(p_ids bigint[])
RETURNS TABLE (user_pk bigint, user_name text)
LANGUAGE sql STABLE {_DIRECTORY._DEFINER} AS $$
    SELECT id, username::text FROM tenants_user
     WHERE id = ANY(p_ids) AND 'compliance_officer' = ANY(roles);
$$;
REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC;
ALTER FUNCTION {SIGNATURE} OWNER TO {_DIRECTORY.DIRECTORY_ROLE};
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_national_admin_role")]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, f"DROP FUNCTION IF EXISTS {SIGNATURE};"),
    ]
