"""DATABASE_URL and DATABASE_OWNER_URL become Django's DATABASES with every option kept."""

from __future__ import annotations

import stat
from pathlib import Path

from config.database import database_settings, embedded_app_url


def test_tls_options_of_the_url_reach_the_driver() -> None:
    databases = database_settings(
        app_url="postgresql://probity_app:p%40ss@db.example:5433/probity"
        "?sslmode=verify-full&sslrootcert=/etc/probity/ca.pem",
    )
    app = databases["default"]
    assert (app["USER"], app["PASSWORD"], app["HOST"], app["PORT"], app["NAME"]) == (
        "probity_app",
        "p@ss",
        "db.example",
        5433,
        "probity",
    )
    assert app["OPTIONS"]["sslmode"] == "verify-full"
    assert app["OPTIONS"]["sslrootcert"] == "/etc/probity/ca.pem"
    assert "owner" not in databases


def test_the_owner_is_a_second_alias_on_the_same_database() -> None:
    databases = database_settings(
        app_url="postgresql://probity_app:a@db.example/probity?sslmode=require",
        owner_url="postgresql://probity_owner:b@db.example/probity?sslmode=require",
        name="probity_test_1",
    )
    assert databases["owner"]["USER"] == "probity_owner"
    assert databases["owner"]["OPTIONS"]["sslmode"] == "require"
    assert {d["NAME"] for d in databases.values()} == {"probity_test_1"}


def test_the_embedded_app_password_is_generated_once_and_private(tmp_path: Path) -> None:
    password_file = tmp_path / "db_app_password"
    first = embedded_app_url(
        "postgresql://postgres:@/postgres?host=/tmp/pg sock", password_file=password_file
    )
    again = embedded_app_url(
        "postgresql://postgres:@/postgres?host=/tmp/pg sock", password_file=password_file
    )
    assert first == again
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    app = database_settings(app_url=first)["default"]
    assert app["USER"] == "probity_app"
    assert app["PASSWORD"] == password_file.read_text().strip()
    assert app["OPTIONS"]["host"] == "/tmp/pg sock"
