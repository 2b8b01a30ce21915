from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Agencies, users and access"

    def ready(self) -> None:
        from tenants import api_schema  # noqa: F401 - registers the token scheme with the schema
