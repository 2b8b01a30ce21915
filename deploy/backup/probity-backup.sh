#!/usr/bin/env bash
# Back up Probity's database: one consistent pg_dump (custom format) and its SHA-256.
#   usage: probity-backup.sh DATABASE OUTFILE
# Connects with the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSFILE…) as the database
# owner; the dump holds the schema, row-level-security policies, grants, the per-agency
# partitions and their indexes, and every row, audit trail included. Roles are cluster-wide
# and not in it: db_setup creates the app role before a restore (deploy/README.md, "Backups").
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DATABASE OUTFILE" >&2; exit 2; }
db=$1
out=$2
umask 077
partial="$out.partial"
trap 'rm -f "$partial"' EXIT
# A serializable, deferrable snapshot: the dump sees one instant, and never a chain mid-append.
pg_dump --no-password --format=custom --serializable-deferrable --file "$partial" "$db"
pg_restore --list "$partial" > /dev/null
digest=$(sha256sum "$partial" | cut -d' ' -f1)
mv "$partial" "$out"
printf '%s  %s\n' "$digest" "$(basename "$out")" > "$out.sha256"
echo "backed up $db to $out (sha256 $digest)"
