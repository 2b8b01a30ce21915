#!/usr/bin/env bash
# Run Probity on one machine: embedded PostgreSQL + pgvector (unless DATABASE_URL is set),
# embedded broker (unless CELERY_BROKER_URL is set), embedded Rego engine (unless OPA_URL is
# set), with a demo. Web (gunicorn), a prefork worker pool (WORKER_CONCURRENCY processes, default
# one per CPU) and beat run as separate processes. If any of them stops, everything is stopped
# with a message and a non-zero exit. Ctrl-C stops all three and the embedded PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
mkdir -p var

# One run per directory, and a free port: checked first, before anything is installed or started.
exec 9>var/run.lock
if ! flock -n 9; then
    echo "probity: already running from $(pwd) (pid $(cat var/run.pid 2>/dev/null || echo '?'));" \
        "stop that one first (Ctrl-C in its terminal)." >&2
    exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "probity: port $PORT is already in use by another program; set PORT to a free port." >&2
    exit 1
fi
echo $$ > var/run.pid

./scripts/install.sh
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-$(nproc)}

$PY -W ignore manage.py db_setup -v 0
$PY -W ignore manage.py collectstatic --noinput -v 0
$PY -W ignore manage.py demo_bootstrap --json --url "http://127.0.0.1:$PORT" > var/demo.json

declare -A NAMES LOGS
start() {  # start NAME LOG COMMAND...: run a service in the background and remember it
    local name=$1 log=$2
    shift 2
    "$@" > "$log" 2>&1 &
    NAMES[$!]=$name
    LOGS[$!]=$log
}
start worker var/worker.log $PY -W ignore -m celery -A config worker --pool prefork \
    --concurrency "$WORKER_CONCURRENCY" --loglevel WARNING
start beat var/beat.log $PY -W ignore -m celery -A config beat \
    --schedule var/celerybeat-schedule --loglevel WARNING
start web var/web.log $PY -m gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers 2 \
    --access-logfile -

stopping=0
stop() {  # stop EXIT_CODE: stop every service, then the embedded PostgreSQL
    trap - INT TERM
    [ "$stopping" = 1 ] && return
    stopping=1
    echo "probity: stopping web, worker and beat…"
    kill -TERM "${!NAMES[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "${!NAMES[@]}" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "${!NAMES[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ -z "${DATABASE_URL:-}" ]; then
        $PY -m config.embedded stop var/pg || true
    fi
    rm -f var/run.pid
    exit "$1"
}
trap 'stop 0' INT TERM

for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
$PY scripts/demo_banner.py var/demo.json
echo "logs: var/web.log var/worker.log var/beat.log; $WORKER_CONCURRENCY worker processes;" \
    "Ctrl-C stops everything, the embedded PostgreSQL included"

# Supervise: the first service to stop takes the others down, with its reason.
set +e
wait -n "${!NAMES[@]}"
code=$?
set -e
[ "$stopping" = 1 ] && exit 0
for pid in "${!NAMES[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "probity: the ${NAMES[$pid]} stopped unexpectedly (exit $code); its last lines" \
            "(${LOGS[$pid]}):" >&2
        tail -n 15 "${LOGS[$pid]}" >&2 || true
    fi
done
stop 1
