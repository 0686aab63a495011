#!/usr/bin/env bash
# Managed by Pulumi from templates/opt/stack/scripts/restore-postgres.sh;
# host edits are overwritten.
#
# Replaces the stack's database with the contents of a backup:
#   restore-postgres.sh --list                 lists the backups, newest first
#   restore-postgres.sh [--yes] <backup>       a path, or a file name in <stack dir>/backups
# Accepts backup_*.dump (custom format, made by backup-postgres.sh) and plain *.sql / *.sql.gz dumps
# (the format of the old cron backups). Without --yes it asks for the database name on a terminal.
#
# How: the bots are stopped, the backup is restored into a scratch database, and only when that
# succeeded is the scratch database renamed into place and the old one dropped; then the bots are
# started again. If anything fails, the current database is left as it was and the bots restart.
# The health monitor skips its checks while a restore runs (shared lock).
set -euo pipefail

# --- rendered variables ---
readonly STACK_DIR={{ stack_dir }}
readonly COMPOSE_PROJECT={{ compose_project }}
readonly POSTGRES_USER={{ postgres_user }}
readonly POSTGRES_DB={{ postgres_db }}
readonly INFRA_SERVICES={{ infra_services }}
readonly LOCK_DIR={{ lock_dir }}
# --- end of rendered variables ---

readonly BACKUP_DIR="$STACK_DIR/backups"
readonly SCRATCH_DB="${POSTGRES_DB}_restore"
readonly OLD_DB="${POSTGRES_DB}_before_restore"
readonly LOG_TAG="telegram-restore"

bots=()
bots_stopped=false
scratch_created=false

log() {
    printf '%s\n' "$*" >&2
    if [[ -z "${INVOCATION_ID:-}" ]]; then logger -t "$LOG_TAG" -- "$*" 2>/dev/null || true; fi
}

die() {
    log "ERROR: $*"
    exit 1
}

usage() {
    printf 'usage: %s --list | [--yes] <backup file>\n' "$(basename "$0")" >&2
    exit 2
}

compose() {
    docker compose -p "$COMPOSE_PROJECT" "$@"
}

# Runs the SQL on stdin in the maintenance database, stopping at the first error.
psql_admin() {
    { echo "SET client_min_messages = warning;"; cat; } |
        compose exec -T postgres psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 \
            --username="$POSTGRES_USER" --dbname=postgres
}

list_backups() {
    find "$BACKUP_DIR" -maxdepth 1 -type f ! -name '.*' \
        \( -name 'backup_*.dump' -o -name '*.sql' -o -name '*.sql.gz' \) \
        -printf '%TY-%Tm-%Td %TH:%TM  %10s  %f\n' | sort -r
}

resolve_backup() {
    local given="$1"
    if [[ "$given" != */* ]]; then given="$BACKUP_DIR/$given"; fi
    [[ -f "$given" && -r "$given" ]] ||
        die "no readable backup at $given; list them with: $0 --list"
    case "$given" in
        *.dump | *.sql | *.sql.gz) ;;
        *) die "$given is not a .dump, .sql or .sql.gz file" ;;
    esac
    printf '%s\n' "$given"
}

confirm() {
    local file="$1" answer
    [[ -t 0 ]] || die "not a terminal: pass --yes to replace database $POSTGRES_DB with $file"
    printf 'This replaces database %s with %s and stops the bots meanwhile.\n' \
        "$POSTGRES_DB" "$file" >&2
    read -r -p "Type the database name to go on: " answer
    [[ "$answer" == "$POSTGRES_DB" ]] || die "not confirmed; nothing was changed"
}

take_locks() {
    mkdir -p "$LOCK_DIR"
    exec {maintenance_fd}>"$LOCK_DIR/maintenance.lock"
    flock -w 300 "$maintenance_fd" ||
        die "the health monitor or another restore holds $LOCK_DIR/maintenance.lock"
    exec {backup_fd}>"$LOCK_DIR/backup.lock"
    flock -w 3600 "$backup_fd" ||
        die "a backup has been running for an hour (lock $LOCK_DIR/backup.lock)"
}

# Every compose service that is not infrastructure is a bot and must not write during the restore.
find_bots() {
    local service
    while IFS= read -r service; do
        if [[ -n "$service" && " $INFRA_SERVICES " != *" $service "* ]]; then bots+=("$service"); fi
    done < <(compose config --services)
}

# Reads the archive's table of contents before anything is stopped, so a corrupt file fails early.
check_archive() {
    local file="$1"
    case "$file" in
        *.dump) compose exec -T postgres pg_restore --list <"$file" >/dev/null ||
            die "$file is not a readable pg_dump archive; nothing was changed" ;;
        *.sql.gz) gzip -t -- "$file" || die "$file is not a valid gzip file; nothing was changed" ;;
    esac
}

restore_into_scratch() {
    local file="$1"
    log "==> restoring $file into scratch database $SCRATCH_DB"
    psql_admin <<SQL
DROP DATABASE IF EXISTS "$SCRATCH_DB" WITH (FORCE);
CREATE DATABASE "$SCRATCH_DB" OWNER "$POSTGRES_USER" TEMPLATE template0;
SQL
    scratch_created=true
    local psql=(psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --single-transaction
        --username="$POSTGRES_USER" --dbname="$SCRATCH_DB")
    case "$file" in
        *.dump) compose exec -T postgres pg_restore --exit-on-error --single-transaction \
            --username="$POSTGRES_USER" --dbname="$SCRATCH_DB" <"$file" ;;
        *.sql.gz) gzip -dc -- "$file" | compose exec -T postgres "${psql[@]}" >/dev/null ;;
        *.sql) compose exec -T postgres "${psql[@]}" <"$file" >/dev/null ;;
    esac
}

# Both renames commit together, so the database name never points at nothing.
swap_databases() {
    log "==> replacing database $POSTGRES_DB with the restored copy"
    psql_admin >/dev/null <<SQL
DROP DATABASE IF EXISTS "$OLD_DB" WITH (FORCE);
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = '$POSTGRES_DB' AND pid <> pg_backend_pid();
BEGIN;
ALTER DATABASE "$POSTGRES_DB" RENAME TO "$OLD_DB";
ALTER DATABASE "$SCRATCH_DB" RENAME TO "$POSTGRES_DB";
COMMIT;
SQL
    scratch_created=false
    psql_admin <<<"DROP DATABASE \"$OLD_DB\" WITH (FORCE);" ||
        log "WARNING: the restore is done, but $OLD_DB (the previous data) could not be dropped;" \
            "drop it by hand"
}

start_bots() {
    if [[ "$bots_stopped" == true && ${#bots[@]} -gt 0 ]]; then
        log "==> starting ${bots[*]}"
        compose up -d "${bots[@]}" ||
            log "ERROR: could not start ${bots[*]}; run: cd $STACK_DIR && docker compose up -d"
    fi
    bots_stopped=false
}

on_exit() {
    local status=$?
    if [[ "$scratch_created" == true ]]; then
        log "the restore failed; database $POSTGRES_DB was not changed"
        psql_admin <<<"DROP DATABASE IF EXISTS \"$SCRATCH_DB\" WITH (FORCE);" ||
            log "WARNING: could not drop scratch database $SCRATCH_DB; drop it by hand"
    fi
    start_bots
    exit "$status"
}

main() {
    local yes=false file=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --list) list_backups; return 0 ;;
            --yes) yes=true ;;
            -h | --help) usage ;;
            -*) usage ;;
            *) [[ -z "$file" ]] || usage; file="$1" ;;
        esac
        shift
    done
    [[ -n "$file" ]] || usage
    file="$(resolve_backup "$file")"
    [[ "$yes" == true ]] || confirm "$file"
    cd "$STACK_DIR"
    take_locks
    check_archive "$file"
    find_bots
    trap on_exit EXIT
    if [[ ${#bots[@]} -gt 0 ]]; then
        log "==> stopping ${bots[*]}"
        bots_stopped=true
        compose stop "${bots[@]}"
    fi
    restore_into_scratch "$file"
    swap_databases
    start_bots
    log "restore done: database $POSTGRES_DB now holds $file"
}

main "$@"
