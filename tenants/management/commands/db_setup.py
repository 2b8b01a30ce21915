"""Create the database and the app role if needed, migrate as the owner, grant the app role."""

from __future__ import annotations

import re
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from psycopg import sql

APP_PRIVILEGES = """
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent, audit_auditcheckpoint FROM {role};
REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM {role};
"""


def _conninfo(db: dict[str, Any], dbname: str) -> dict[str, Any]:
    info = {"host": db["HOST"], "user": db["USER"], "dbname": dbname}
    if db.get("PORT"):
        info["port"] = db["PORT"]
    if db.get("PASSWORD"):
        info["password"] = db["PASSWORD"]
    return info


class Command(BaseCommand):
    help = __doc__ or ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drop", action="store_true",
                            help="Drop the (test or bench) database and stop.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Drop and recreate the database first (only test and bench databases).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = settings.DATABASES["owner"]
        app = settings.DATABASES["default"]
        name = owner["NAME"]
        if options["reset"] and not re.search(r"_(test|bench)(_\w+)?$", name):
            raise CommandError(f"refusing to reset database {name!r}: only test or bench ones")
        with psycopg.connect(**_conninfo(owner, "postgres"), autocommit=True) as conn:
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
        call_command("migrate", database="owner", interactive=False, verbosity=options["verbosity"])
        role_ident = psycopg.sql.Identifier(app["USER"]).as_string(None)
        with connections["owner"].cursor() as cursor:
            cursor.execute(APP_PRIVILEGES.format(role=role_ident))
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'matching_face'"
            )
            for (partition,) in cursor.fetchall():
                cursor.execute(
                    sql.SQL("REVOKE ALL ON {} FROM {}")
                    .format(sql.Identifier(partition), sql.Identifier(app["USER"]))
                    .as_string(None)
                )
        if options["verbosity"] > 0:
            self.stdout.write(f"database {name!r} ready; app role {app['USER']!r} granted")
