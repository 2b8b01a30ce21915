#!/usr/bin/env bash
# Create .venv and install the pinned, hash-checked dependencies (runtime and development sets),
# the portal's npm assets, the deployment linters, the demo/test photos and (as root) chromium.
#   ./scripts/install.sh             everything `make run` and `make test` need
#   ./scripts/install.sh --runtime   what the production image runs: the runtime Python set and
#                                    the portal's runtime assets, nothing else
# Re-running is cheap: it skips the install when the requirement files have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
runtime_only=0
if [ "${1:-}" = "--runtime" ]; then
    runtime_only=1
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--runtime]" >&2
    exit 2
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "Python 3.11 is required (found $("$PYTHON" --version))" >&2
    exit 1
fi

mkdir -p var
inputs=(requirements.txt requirements-nodeps.txt requirements-opa.txt)
[ "$runtime_only" = 1 ] || inputs+=(requirements-dev.txt deploy/lint/package-lock.json)
stamp=var/.installed-$runtime_only-$(cat "${inputs[@]}" | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade 'pip>=24,<27'
    .venv/bin/python -m pip install --quiet --require-hashes -r requirements.txt
    if [ "$runtime_only" = 0 ]; then
        .venv/bin/python -m pip install --quiet --require-hashes -r requirements-dev.txt
    fi
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-nodeps.txt
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps --ignore-requires-python \
        -r requirements-opa.txt
    # face_recognition quits with status 0 when its models cannot import: check it printed.
    imported=$(.venv/bin/python -W ignore -c 'import face_recognition; print("imported")' 2>/dev/null | tail -1)
    [ "$imported" = "imported" ] || { echo "face_recognition does not import" >&2; exit 1; }
    if [ "$runtime_only" = 0 ]; then
        # The Compose file's schema check (dclint), pinned by its lockfile; dev and CI only.
        command -v npm >/dev/null 2>&1 || { echo "npm is required for the deployment checks" >&2; exit 1; }
        npm ci --prefix deploy/lint --ignore-scripts --no-audit --no-fund --loglevel=error
    fi
    rm -f var/.installed-*
    touch "$stamp"
fi

# The portal's front-end assets, pinned by package-lock.json and served by the project itself
# (the image takes the runtime ones only).
npm_stamp=node_modules/.installed-$runtime_only-$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$npm_stamp" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is required for the portal's assets" >&2; exit 1; }
    if [ "$runtime_only" = 1 ]; then
        npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
    else
        npm ci --no-audit --no-fund --loglevel=error
    fi
    touch "$npm_stamp"
fi
# The policy editor, bundled from those packages (the image serves it too).
./scripts/build_editor.sh
[ "$runtime_only" = 0 ] || exit 0

.venv/bin/python scripts/fetch_photos.py

# WeasyPrint (the transparency report's PDF) lays text out with Pango; install it and a font
# when we can (as root). The production image installs the same packages (deploy/Dockerfile).
if ! ldconfig -p 2>/dev/null | grep 'libpangoft2-1.0.so.0' >/dev/null && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
fi

# The browser tests drive Debian's chromium; install it when we can (as root).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium
fi
