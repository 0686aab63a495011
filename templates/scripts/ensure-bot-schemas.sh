#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/ensure-bot-schemas.sh.
# The init SQL only runs on an empty data volume. This step applies the same SQL (stdin, every
# statement IF NOT EXISTS) whenever a schema in SCHEMAS is missing, so adding a bot is a config
# change only. Needs the postgres service running.
set -euo pipefail

# --- rendered variables ---
STACK_DIR={{ stack_dir }}
PROJECT={{ project }}
PG_USER={{ pg_user }}
PG_DB={{ pg_db }}
SCHEMAS={{ schemas }}
# --- end of rendered variables ---

psql_in_postgres() {
    docker compose -p "$PROJECT" exec -T postgres \
        psql -v ON_ERROR_STOP=1 -q -U "$PG_USER" -d "$PG_DB" "$@"
}

main() {
    cd "$STACK_DIR"
    local sql existing schema missing=()
    sql="$(cat)"
    existing="$(psql_in_postgres -At -c 'SELECT nspname FROM pg_namespace' </dev/null)"
    for schema in $SCHEMAS; do
        grep -qxF -- "$schema" <<<"$existing" || missing+=("$schema")
    done
    if ((${#missing[@]} == 0)); then
        echo "==> schemas present: $SCHEMAS"
        echo UNCHANGED
        return
    fi
    printf '%s\n' "$sql" | psql_in_postgres
    echo "==> created missing schema(s): ${missing[*]}"
    echo CHANGED
}

main "$@"
