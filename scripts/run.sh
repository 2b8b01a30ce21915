#!/usr/bin/env bash
# Run Probity on one machine: embedded PostgreSQL + pgvector, embedded broker (unless
# CELERY_BROKER_URL is set), embedded Rego engine (unless OPA_URL is set), a Celery worker and
# the web server, with a demo. Ctrl-C stops the web server and the worker.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
PY=.venv/bin/python
PORT=${PORT:-8000}
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1}

$PY -W ignore manage.py db_setup -v 0
$PY -W ignore manage.py collectstatic --noinput -v 0
$PY -W ignore manage.py demo_bootstrap --json --url "http://127.0.0.1:$PORT" > var/demo.json

$PY -W ignore -m celery -A config worker --schedule var/celerybeat-schedule --loglevel WARNING --concurrency 1 --pool solo --beat \
    > var/worker.log 2>&1 &
worker=$!
$PY -m gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers 2 --access-logfile - \
    > var/web.log 2>&1 &
web=$!
stop() {
    trap - INT TERM
    echo "stopping…"
    kill -TERM "$web" "$worker" 2>/dev/null || true
    wait "$web" "$worker" 2>/dev/null || true
    exit 0
}
trap stop INT TERM

for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
$PY scripts/demo_banner.py var/demo.json
echo "logs: var/web.log var/worker.log — Ctrl-C to stop"
wait -n "$web" "$worker" || true
stop
