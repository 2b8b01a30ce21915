"""Create the database and the app role if needed, migrate as the owner, grant the app role.

Needs ``DATABASE_OWNER_URL``; the app role and its password come from ``DATABASE_URL``.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from psycopg import sql

from config.database import OWNER_ALIAS

# Django-level connection options that are not libpq parameters.
_DJANGO_ONLY_OPTIONS = {
    "isolation_level",
    "pool",
    "server_side_binding",
    "assume_role",
    "cursor_factory",
    "context",
}

# The app role's privileges, derived from each table's protection rather than listed by hand,
# so a table nobody classified gets none (fail closed):
#   tables under FORCE ROW LEVEL SECURITY            read and write (the database isolates them)
#   APPEND_ONLY ones among them                       read and insert only
#   DIRECTORY (RLS by the user's agency)              read, without the secret columns; writes
#                                                     only through the directory_* functions
#   READ_ONLY reference tables                        read (agencies' identity providers too:
#                                                     their client secrets are sealed)
#   SIGN_IN_STATE                                     read and write: the portal's sessions and
#                                                     allauth's e-mail, second-factor and
#                                                     provider-link records, consulted before
#                                                     any agency is known
# allauth's own provider apps and provider tokens are never used: no privilege on them.
#   OVERSIGHT_GRANTS                                  read and write (see below)
APPEND_ONLY = (
    "audit_auditevent",
    "audit_auditcheckpoint",
    "policy_policydecision",
    "policy_policyactivation",
    "matching_deletioncertificate",
)
DIRECTORY = {
    "tenants_user": ("password",),
    "tenants_apitoken": ("digest",),
    "tenants_trainingrecord": (),
}
READ_ONLY = (
    "tenants_agency",
    "tenants_agency_oversees",
    "tenants_agencyidentityprovider",
    "django_content_type",
    "django_site",
    "django_migrations",
    "auth_permission",
)
SIGN_IN_STATE = (
    "django_session",
    "account_emailaddress",
    "account_emailconfirmation",
    "mfa_authenticator",
    "socialaccount_socialaccount",
)
# Oversight grants are read by the oversight read policy itself, so they cannot sit behind
# row-level security; the service writes them for national administrators only.
OVERSIGHT_GRANTS = ("oversight_oversightgrant",)

_TABLES_SQL = """
SELECT c.relname, c.relforcerowsecurity FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
_SEQUENCES_SQL = """
SELECT s.relname FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
    AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
WHERE s.relkind = 'S' AND t.relname = ANY(%s)
"""
_COLUMNS_SQL = """
SELECT column_name FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position
"""
_FUNCTIONS_SQL = """
SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proname LIKE 'directory\\_%%'
"""


def conninfo(db: dict[str, Any], dbname: str) -> dict[str, Any]:
    """Return libpq parameters for a Django database entry, keeping its TLS options."""
    info: dict[str, Any] = {
        k: v for k, v in (db.get("OPTIONS") or {}).items() if k not in _DJANGO_ONLY_OPTIONS
    }
    info.update({"user": db["USER"], "dbname": dbname})
    if db.get("HOST"):
        info["host"] = db["HOST"]
    if db.get("PORT"):
        info["port"] = db["PORT"]
    if db.get("PASSWORD"):
        info["password"] = db["PASSWORD"]
    return info


def app_privileges_grant(cursor: Any, role: str) -> None:
    """Reset the app role's privileges to exactly what each table's protection allows."""
    ident = sql.Identifier(role)

    def run(statement: sql.Composable) -> None:
        cursor.execute(statement.as_string(None))

    run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(ident))
    run(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(ident))
    run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
    cursor.execute(_TABLES_SQL)
    tables = dict(cursor.fetchall())
    writable = [
        t
        for t, forced in tables.items()
        if (forced and t not in APPEND_ONLY and t not in DIRECTORY)
        or t in SIGN_IN_STATE
        or t in OVERSIGHT_GRANTS
    ]
    for table in writable:
        run(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                sql.Identifier(table), ident
            )
        )
    for table in [t for t in APPEND_ONLY if t in tables]:
        run(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(sql.Identifier(table), ident))
    for table in [t for t in READ_ONLY if t in tables]:
        run(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), ident))
    for table, secret in DIRECTORY.items():
        cursor.execute(_COLUMNS_SQL, [table])
        columns = [c for (c,) in cursor.fetchall() if c not in secret]
        run(
            sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table), ident
            )
        )
    cursor.execute(_SEQUENCES_SQL, [[*writable, *APPEND_ONLY]])
    for (sequence,) in cursor.fetchall():
        run(
            sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(
                sql.Identifier(sequence), ident
            )
        )
    cursor.execute(_FUNCTIONS_SQL)
    for (function,) in cursor.fetchall():
        cursor.execute(f"GRANT EXECUTE ON FUNCTION {function} TO " + ident.as_string(None))


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drop", action="store_true", help="Drop the (test or bench) database and stop."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Drop and recreate the database first (only test and bench databases).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if OWNER_ALIAS not in settings.DATABASES:
            raise CommandError("db_setup needs the owner's connection: set DATABASE_OWNER_URL")
        owner = settings.DATABASES[OWNER_ALIAS]
        app = settings.DATABASES["default"]
        name = owner["NAME"]
        if options["reset"] and not re.search(r"_(test|bench)(_\w+)?$", name):
            raise CommandError(f"refusing to reset database {name!r}: only test or bench ones")
        with psycopg.connect(**conninfo(owner, "postgres"), autocommit=True) as conn:
            if options["drop"]:
                if not re.search(r"_(test|bench)(_\w+)?$", name):
                    raise CommandError(f"refusing to drop database {name!r}")
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
                return
            if options["reset"]:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app["USER"]])
            if not role.fetchone():
                conn.execute(
                    sql.SQL(
                        "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                    ).format(sql.Identifier(app["USER"]))
                )
            if app.get("PASSWORD"):
                conn.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        sql.Identifier(app["USER"]), sql.Literal(app["PASSWORD"])
                    )
                )
        call_command(
            "migrate", database=OWNER_ALIAS, interactive=False, verbosity=options["verbosity"]
        )
        with connections[OWNER_ALIAS].cursor() as cursor:
            app_privileges_grant(cursor, app["USER"])
        if options["verbosity"] > 0:
            self.stdout.write(f"database {name!r} ready; app role {app['USER']!r} granted")
