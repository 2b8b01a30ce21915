#!/usr/bin/env bash
# Re-pin the dependency sets with hashes after editing a requirements*.in file.
# Existing pins are kept unless a new requirement needs another version (uv prefers them).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || { echo "scripts/lock.sh needs uv (pip install uv)" >&2; exit 1; }
common=(--generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet)
uv pip compile "${common[@]}" requirements.in -o requirements.txt
uv pip compile "${common[@]}" requirements-dev.in -o requirements-dev.txt
uv pip compile --no-deps --generate-hashes --python-version 3.11 --quiet \
    requirements-nodeps.in -o requirements-nodeps.txt
