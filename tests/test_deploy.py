"""The deployment files parse and agree with the code they deploy (no Docker engine here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.urls import reverse

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


def test_compose_runs_web_worker_beat_against_postgres_redis_and_opa() -> None:
    compose = load("compose.yaml")
    services = compose["services"]
    assert {"db", "redis", "opa", "migrate", "web", "worker", "beat"} <= set(services)
    assert "pgvector" in services["db"]["image"]
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert {"DATABASE_URL", "CELERY_BROKER_URL", "OPA_URL", "POLICY_BUNDLE_TOKEN",
                "DJANGO_SECRET_KEY"} <= set(env), name
        assert env["OPA_URL"] == "http://opa:8181"
    assert services["migrate"]["command"] == ["python", "manage.py", "db_setup"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "config"]


def test_opa_pulls_the_bundle_from_the_route_the_service_serves() -> None:
    config = load("opa-config.yaml")
    service = config["bundles"]["probity"]["service"]
    base = config["services"][service]["url"].replace("${PROBITY_URL}", "")
    resource = config["bundles"]["probity"]["resource"]
    assert f"{base}/{resource}" == reverse("policy-bundle")
    assert config["services"][service]["credentials"]["bearer"]["token"] == (
        "${POLICY_BUNDLE_TOKEN}"
    )
    logs = config["decision_logs"]
    assert logs["service"] == service
    assert f"{base}/{logs['resource']}" == reverse("policy-decision-logs")


def test_the_image_installs_hash_pinned_and_runs_unprivileged() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "--require-hashes -r requirements.txt" in dockerfile
    assert "--no-deps -r requirements-nodeps.txt" in dockerfile
    assert "\nUSER probity\n" in dockerfile
    assert "python:3.11" in dockerfile
