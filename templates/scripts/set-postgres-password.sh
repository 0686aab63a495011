#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/set-postgres-password.sh.
# POSTGRES_PASSWORD only applies to an empty data volume, so a rotated password (stdin) is set
# with ALTER ROLE over the container's local socket (trusted, no old password needed). MARKER
# holds the sha256 of the password last applied, so an unchanged password changes nothing.
set -euo pipefail

# --- rendered variables ---
STACK_DIR={{ stack_dir }}
PROJECT={{ project }}
PG_USER={{ pg_user }}
PG_DB={{ pg_db }}
MARKER={{ marker }}
# --- end of rendered variables ---

main() {
    cd "$STACK_DIR"
    local password wanted
    IFS= read -r password || true
    if [[ ! "$password" =~ ^[A-Za-z0-9]+$ ]]; then
        echo "ERROR: the postgres password on stdin must be letters and digits only" >&2
        exit 1
    fi
    wanted="$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)"
    if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$wanted" ]]; then
        echo "==> postgres password is current"
        echo UNCHANGED
        return
    fi
    printf 'ALTER ROLE "%s" WITH PASSWORD '\''%s'\'';\n' "$PG_USER" "$password" \
        | docker compose -p "$PROJECT" exec -T postgres psql -v ON_ERROR_STOP=1 -q -U "$PG_USER" -d "$PG_DB" >/dev/null
    (umask 077 && printf '%s\n' "$wanted" >"$MARKER")
    echo "==> postgres password set for role $PG_USER"
    echo CHANGED
}

main "$@"
