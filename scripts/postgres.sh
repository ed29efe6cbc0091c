#!/usr/bin/env bash
# Starts Debian's PostgreSQL 15 for the tests, idempotently, and prints the
# URL of a role that may create databases:
#   export VEDETTE_TEST_POSTGRES_URL=$(scripts/postgres.sh)
# Installs the server with apt when it is missing. Fails loudly otherwise.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql ]; then
  log "installing PostgreSQL (apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || { log "apt-get update failed"; exit 1; }
  apt-get install -y -qq postgresql >&2 || { log "cannot install postgresql"; exit 1; }
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version main"; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $version/main"
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')

for _ in $(seq 1 30); do
  if su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null || { log "PostgreSQL does not answer on port $port"; exit 1; }

su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qtA" >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vedette') THEN
    CREATE ROLE vedette LOGIN CREATEDB PASSWORD 'vedette';
  END IF;
END
\$\$;
SQL
echo "postgres://vedette:vedette@127.0.0.1:${port}/postgres"
