#!/usr/bin/env bash
# Install what is needed and run the whole suite: lint, types, the Rego tests and pytest
# against the embedded PostgreSQL + pgvector, a real broker and worker, and real photos.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
.venv/bin/ruff check .
.venv/bin/mypy .
# The OpenAPI schema must build from the code without a warning (and validate).
.venv/bin/python -W ignore manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml
.venv/bin/python -W ignore -m policy.rego_tests
DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python -W ignore -m policy.revisions.verify
exec .venv/bin/python -m pytest "$@"
