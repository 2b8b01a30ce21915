#!/usr/bin/env bash
# Restore a backup made by probity-backup.sh into a NEW database (never over a live one).
#   usage: probity-restore.sh DUMPFILE DATABASE
# Refuses a dump whose SHA-256 does not match, and a database that already exists. The app
# role must exist first (manage.py db_setup on the new server creates it); the restore is one
# transaction, so a missing role or extension leaves nothing half-restored.
# Then: point DATABASE_URL / DATABASE_OWNER_URL at it, run db_setup (grants, migrations newer
# than the dump) and check every agency's audit chain (deploy/README.md, "Backups").
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DUMPFILE DATABASE" >&2; exit 2; }
dump=$1
db=$2
(cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256") || {
    echo "refusing $dump: its SHA-256 does not match $dump.sha256" >&2
    exit 1
}
createdb --no-password "$db"
if ! pg_restore --no-password --exit-on-error --single-transaction --dbname "$db" "$dump"; then
    dropdb --no-password "$db"
    echo "restore failed; $db removed" >&2
    exit 1
fi
echo "restored $dump into $db"
