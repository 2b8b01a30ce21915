#!/usr/bin/env bash
# Bundle the portal's policy editor (portal/assets/editor.js) with the pinned CodeMirror packages
# into node_modules/.probity-editor/, which the portal serves as static/vendor/editor/.
# Run by scripts/install.sh after npm ci; cheap when neither the source nor the lockfile changed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=node_modules/.probity-editor
stamp=$out/.built-$(cat package-lock.json portal/assets/editor.js | sha256sum | cut -c1-16)
[ -f "$stamp" ] && exit 0
rm -rf "$out"
node_modules/.bin/esbuild portal/assets/editor.js --bundle --minify --format=iife \
    --target=es2020 --legal-comments=eof --log-level=warning --outfile="$out/editor.js"
touch "$stamp"
