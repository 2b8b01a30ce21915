"""Read the deployment files the way their tools do (no Docker engine or cluster here)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
DEPLOY = BASE_DIR / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROBITY_COMPONENTS = ("web", "worker", "beat", "migrate")


def compose() -> dict[str, Any]:
    """Return deploy/compose.yaml with its YAML anchors and merge keys resolved."""
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    """Yield every Kubernetes document under deploy/kubernetes/ with the file it came from."""
    for path in sorted(KUBERNETES.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path, document


def pod_spec(document: dict[str, Any]) -> dict[str, Any] | None:
    """Return the pod template's spec of a Deployment or Job, else None."""
    if document["kind"] in ("Deployment", "Job"):
        spec: dict[str, Any] = document["spec"]["template"]["spec"]
        return spec
    return None


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """Split a Dockerfile into stages of (instruction, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    stages: list[list[tuple[str, str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Tell whether Docker leaves ``path`` out of the build context (moby's patternmatcher).

    A pattern matches a path or any of its parents; ``*`` stays within one segment, ``**``
    spans any number; a later ``!pattern`` re-includes; the last matching pattern wins.
    """
    excluded = False
    parts = path.split("/")
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        regex = _pattern_regex(pattern.strip("/"))
        if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            excluded = not negate
    return excluded


def dockerignore_patterns() -> list[str]:
    lines = (BASE_DIR / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def command_words(command: list[str] | str) -> list[str]:
    """Return a container command as words (a CMD-SHELL string is split like a shell would)."""
    if isinstance(command, str):
        return shlex.split(command)
    if command and command[0] in ("CMD", "CMD-SHELL"):
        return shlex.split(command[1]) if command[0] == "CMD-SHELL" else command[1:]
    if command[:2] == ["sh", "-c"]:
        return shlex.split(command[2])
    return command


def pod_containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the containers of a Deployment's or Job's pod template ([] for other kinds)."""
    spec = pod_spec(document)
    return list(spec["containers"]) if spec else []


def database_host(database: dict[str, Any]) -> str:
    """Return a Django database entry's host, or its socket directory (``?host=`` in the URL)."""
    return str(database.get("OPTIONS", {}).get("host") or database["HOST"])
