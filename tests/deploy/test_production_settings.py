"""Production settings: ``check --deploy`` is clean and nothing starts half-configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.secret_files import secrets_from_files
from tests.deploy.production import manage, production_env


def test_check_deploy_is_clean_with_the_production_settings(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_development_settings_would_fail_the_same_check(tmp_path: Path) -> None:
    """The check above can fail: the single-machine settings do not pass it."""
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY_FILE",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
    ],
)
def test_production_refuses_to_start_without_a_required_setting(
    tmp_path: Path, missing: str
) -> None:
    env = production_env(tmp_path)
    del env[missing]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing.removesuffix("_FILE") in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists(), "no key may be invented"
    assert not (tmp_path / "var" / "pg").exists(), "no embedded database may be started"


@pytest.mark.parametrize(
    ("name", "value"),
    [("CELERY_BROKER_URL", "filesystem://"), ("DJANGO_DEBUG", "1")],
)
def test_production_refuses_single_machine_shortcuts(tmp_path: Path, name: str, value: str) -> None:
    result = manage(production_env(tmp_path, **{name: value}), "check")
    assert result.returncode != 0
    assert name in result.stderr


def test_secrets_come_from_files(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    environ = {"POLICY_BUNDLE_TOKEN_FILE": str(token), "UNRELATED_FILE": "/nonexistent"}
    assert secrets_from_files(environ) == ["POLICY_BUNDLE_TOKEN"]
    assert environ["POLICY_BUNDLE_TOKEN"] == "s3cret-token"


def test_a_secret_given_twice_or_unreadable_stops_the_start(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("from-file")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        secrets_from_files({"OPA_TOKEN": "x", "OPA_TOKEN_FILE": str(token)})
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        secrets_from_files({"OPA_TOKEN_FILE": str(tmp_path / "missing")})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ImproperlyConfigured, match="empty"):
        secrets_from_files({"OPA_TOKEN_FILE": str(tmp_path / "empty")})


def test_static_files_collect_under_the_production_settings(tmp_path: Path) -> None:
    """The image collects static files at build time with these settings and placeholders."""
    target = tmp_path / "static"
    env = production_env(tmp_path, PROBITY_STATIC_ROOT=str(target))
    result = manage(env, "collectstatic", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stderr
    assert (target / "vendor" / "htmx" / "htmx.min.js").is_file()
