from typing import Any

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Agencies, users and access"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created

        from tenants import api_schema  # noqa: F401 - registers the token scheme with the schema

        # The app role cannot update users: a sign-in is recorded through the directory.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_login_record, dispatch_uid="probity_login_record")
        connection_created.connect(_app_role_check, dispatch_uid="probity_app_role_check")


_APP_ROLE_PRIVILEGED_SQL = """
SELECT r.rolsuper OR r.rolbypassrls
       OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = 'tenants_user'
                  AND c.relowner = r.oid)
FROM pg_roles r WHERE r.rolname = current_user
"""
_app_role_checked = False


def _app_role_check(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Refuse to serve on a ``default`` connection that could bypass row-level security.

    DATABASE_URL must name the app role; a superuser, a BYPASSRLS role or the schema's owner
    would see every agency. Checked on the process's first connection.
    """
    global _app_role_checked
    if connection.alias != "default" or _app_role_checked:
        return
    with connection.cursor() as cursor:
        cursor.execute(_APP_ROLE_PRIVILEGED_SQL)
        row = cursor.fetchone()
    if row is not None and row[0]:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DATABASE_URL names a role that bypasses row-level security (superuser, BYPASSRLS "
            "or the schema owner); give it the app role's URL and the owner's to "
            "DATABASE_OWNER_URL"
        )
    _app_role_checked = True


def _login_record(sender: Any, user: Any, **kwargs: Any) -> None:
    from tenants.context import agency_transaction
    from tenants.directory import directory_login_record

    if getattr(user, "agency_id", None):
        with agency_transaction(user.agency_id):
            directory_login_record(user_id=user.pk)
