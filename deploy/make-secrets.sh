#!/usr/bin/env bash
# Generate the secrets deploy/compose.yaml mounts, consistent with each other, into
# deploy/secrets/ (mode 0400, owned by the user of the container that reads them). Never
# overwrites: rotate one by deleting it, re-running this script and restarting its readers.
# The TLS certificate and key (deploy/secrets/tls.crt, tls.key) come from the agency's CA.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
PROBITY_UID=10001   # the image's user (deploy/Dockerfile); OPA runs as it too
POSTGRES_UID=999    # the postgres user of the pgvector/postgres Debian images
REDIS_UID=999       # the redis user of the redis Alpine image

random() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n'; }
write() {  # write NAME OWNER VALUE
    if [ -e "secrets/$1" ]; then echo "kept secrets/$1"; return; fi
    printf '%s\n' "$3" > "secrets/$1"
    chmod 0400 "secrets/$1"
    if [ "$(id -u)" = 0 ]; then chown "$2:$2" "secrets/$1"; fi
    echo "wrote secrets/$1"
}
existing() { sed -n 's/^[^:]*:\/\/[^:]*:\([^@]*\)@.*/\1/p' "secrets/$1" 2>/dev/null || true; }

postgres_password=$(cat secrets/postgres_password 2>/dev/null || random)
app_password=$(existing database_url); app_password=${app_password:-$(random)}
redis_password=$(existing broker_url); redis_password=${redis_password:-$(random)}

write django_secret_key "$PROBITY_UID" "$(random)$(random)"
write postgres_password "$POSTGRES_UID" "$postgres_password"
write pgpass "$POSTGRES_UID" "db:5432:*:postgres:$postgres_password"
write database_owner_url "$PROBITY_UID" "postgresql://postgres:$postgres_password@db:5432/probity"
write database_url "$PROBITY_UID" "postgresql://probity_app:$app_password@db:5432/probity"
write broker_url "$PROBITY_UID" "redis://:$redis_password@redis:6379/0"
write cache_url "$PROBITY_UID" "redis://:$redis_password@redis:6379/1"
write redis_acl "$REDIS_UID" "user default on #$(printf '%s' "$redis_password" | sha256sum | cut -d' ' -f1) ~* &* +@all
user healthcheck on >healthcheck -@all +ping"
# The audit MAC key and the data-key KEK (32 random bytes, base64) and the checkpoint signing key
# (Ed25519, PEM): back them up apart from the database (deploy/README.md, "Keys").
write audit_mac_key "$PROBITY_UID" "$(head -c 32 /dev/urandom | base64)"
write datakey_kek "$PROBITY_UID" "$(head -c 32 /dev/urandom | base64)"
write audit_signing_key.pem "$PROBITY_UID" "$(openssl genpkey -algorithm ed25519)"
write policy_bundle_token "$PROBITY_UID" "$(random)"
write metrics_token "$PROBITY_UID" "$(random)"
for f in tls.crt tls.key; do
    [ -e "secrets/$f" ] || echo "missing secrets/$f: install the agency's certificate and key" >&2
done
