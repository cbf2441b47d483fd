#!/bin/sh
# One-shot of temporalio/admin-tools (docker-compose.yml, service temporal-schema): creates
# Temporal's two databases on our PostgreSQL and brings their schema to the version of the
# admin-tools image. Safe at every start: an existing database is kept and update-schema applies
# only the versions it lacks, so upgrading the images upgrades the schema.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
SCHEMA=/etc/temporal/schema/postgresql/v12

tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"
}

for db in temporal temporal_visibility; do
  dir="$SCHEMA/temporal/versioned"
  [ "$db" = temporal_visibility ] && dir="$SCHEMA/visibility/versioned"
  tool --db "$db" create || echo "database $db already exists"
  tool --db "$db" setup-schema -v 0.0
  tool --db "$db" update-schema -d "$dir"
done
echo "Temporal schema ready"
