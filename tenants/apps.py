from typing import Any

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Agencies, users and access"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # The app role cannot update users: a sign-in is recorded through the directory.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_login_record, dispatch_uid="probity_login_record")


def _login_record(sender: Any, user: Any, **kwargs: Any) -> None:
    from tenants.context import agency_transaction
    from tenants.directory import directory_login_record

    if getattr(user, "agency_id", None):
        with agency_transaction(user.agency_id):
            directory_login_record(user_id=user.pk)
