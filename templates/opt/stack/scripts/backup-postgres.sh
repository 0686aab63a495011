#!/usr/bin/env bash
# Managed by Pulumi from templates/opt/stack/scripts/backup-postgres.sh;
# host edits are overwritten.
#
# Dumps the whole Postgres database of the compose stack into <stack dir>/backups as
# backup_YYYYMMDD_HHMMSS.dump (pg_dump custom format: compressed, restored with pg_restore),
# deletes complete backups older than the retention period and, when an off-site env file exists,
# copies the new backup to an S3-compatible bucket.
# Run daily by telegram-backup.service; safe to run by hand as root.
# stdout: the path of the new backup, nothing else. Progress and errors go to stderr (the journal).
set -euo pipefail

# --- rendered variables ---
readonly STACK_DIR={{ stack_dir }}
readonly COMPOSE_PROJECT={{ compose_project }}
readonly POSTGRES_USER={{ postgres_user }}
readonly POSTGRES_DB={{ postgres_db }}
readonly RETENTION_DAYS={{ retention_days }}
readonly OFFSITE_ENV_FILE={{ offsite_env_file }}
readonly LOCK_DIR={{ lock_dir }}
# --- end of rendered variables ---

readonly BACKUP_DIR="$STACK_DIR/backups"
# Complete backups only: a dump in progress is ".backup_<stamp>.dump.partial", never matched here.
readonly DATE_GLOB="[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]"
readonly TIME_GLOB="[0-9][0-9][0-9][0-9][0-9][0-9]"
readonly BACKUP_GLOB="backup_${DATE_GLOB}_${TIME_GLOB}.dump"
readonly LOG_TAG="telegram-backup"

partial_file=""

log() {
    printf '%s\n' "$*" >&2
    # Outside systemd (a manual or ops-CLI run) keep an audit line in the journal as well.
    if [[ -z "${INVOCATION_ID:-}" ]]; then logger -t "$LOG_TAG" -- "$*" 2>/dev/null || true; fi
}

die() {
    log "ERROR: $*"
    exit 1
}

remove_partial() {
    if [[ -n "$partial_file" ]]; then rm -f -- "$partial_file"; fi
}

compose() {
    docker compose -p "$COMPOSE_PROJECT" "$@"
}

take_lock() {
    mkdir -p "$LOCK_DIR"
    exec {lock_fd}>"$LOCK_DIR/backup.lock"
    flock -n "$lock_fd" ||
        die "another backup or restore is running (lock $LOCK_DIR/backup.lock); try again later"
}

warn_about_stale_partials() {
    local stale
    for stale in "$BACKUP_DIR"/.backup_*.partial; do
        [[ -e "$stale" ]] || continue
        log "WARNING: $stale is left over from an interrupted backup; check it, then delete it"
    done
}

# Writes the dump under a temporary name and renames it only when pg_dump succeeded and the file
# starts with the custom-format magic, so a backup_*.dump file is always complete.
dump_database() {
    local final="$1"
    partial_file="$BACKUP_DIR/.$(basename "$final").partial"
    [[ ! -e "$final" ]] || die "$final already exists; wait a second and run the backup again"
    log "==> dumping database $POSTGRES_DB to $final"
    if ! compose exec -T postgres pg_dump --format=custom \
        --username="$POSTGRES_USER" --dbname="$POSTGRES_DB" >"$partial_file"; then
        die "pg_dump failed (see the lines above); no backup was written." \
            "Check: cd $STACK_DIR && docker compose ps postgres"
    fi
    if [[ "$(head -c 5 "$partial_file")" != "PGDMP" ]]; then
        die "pg_dump exited 0 but its output is not a custom-format archive; no backup was written"
    fi
    sync -- "$partial_file"
    mv -T -- "$partial_file" "$final"
    partial_file=""
    log "backup written: $final ($(stat -c %s "$final") bytes)"
}

# Deletes complete backups whose age exceeds RETENTION_DAYS × 24 h (find -mtime would round down
# to whole days and keep one extra day). The newest backup is never a candidate.
apply_retention() {
    local newest="$1" old
    while IFS= read -r -d '' old; do
        rm -f -- "$old"
        log "retention: deleted $old (older than $RETENTION_DAYS days)"
    done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -name "$BACKUP_GLOB" \
        ! -name "$(basename "$newest")" -mmin "+$((RETENTION_DAYS * 24 * 60))" -print0)
}

# Reads KEY=VALUE lines without evaluating them as shell.
read_offsite_config() {
    local line key
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        key="${line%%=*}"
        case "$key" in
            S3_ENDPOINT | S3_BUCKET | S3_REGION | S3_PREFIX | S3_ACCESS_KEY_ID | \
                S3_SECRET_ACCESS_KEY) printf -v "$key" '%s' "${line#*=}" ;;
            *) die "unknown key '$key' in $OFFSITE_ENV_FILE" ;;
        esac
    done <"$OFFSITE_ENV_FILE"
}

curl_config_quote() {
    local value="${1//\\/\\\\}"
    printf '"%s"' "${value//\"/\\\"}"
}

# Plain HTTPS PUT signed with AWS SigV4 by curl itself (curl >= 7.75; Ubuntu 24.04 and Debian 12
# ship 8.5 and 7.88), so no extra package is needed. The keys reach curl through a config on a pipe,
# never through its argv. S3 needs the payload hash in x-amz-content-sha256, and curl signs the
# header we give.
copy_offsite() {
    local file="$1"
    local S3_ENDPOINT="" S3_BUCKET="" S3_REGION="" S3_PREFIX=""
    local S3_ACCESS_KEY_ID="" S3_SECRET_ACCESS_KEY=""
    read_offsite_config
    local url payload_hash credentials
    url="${S3_ENDPOINT%/}/$S3_BUCKET/$S3_PREFIX$(basename "$file")"
    payload_hash="$(sha256sum -- "$file" | cut -d ' ' -f 1)"
    credentials="$(curl_config_quote "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY")"
    log "==> copying $(basename "$file") to $url"
    if ! curl --silent --show-error --fail-with-body --retry 3 --max-time 3600 \
        --aws-sigv4 "aws:amz:$S3_REGION:s3" \
        --config <(printf 'user = %s\n' "$credentials") \
        --header "x-amz-content-sha256: $payload_hash" \
        --upload-file "$file" --output /dev/null -- "$url"; then
        die "the local backup $file is complete, but the off-site copy to $url failed;" \
            "check the bucket, the keys and the endpoint"
    fi
    log "off-site copy done: $url"
}

main() {
    umask 077
    trap remove_partial EXIT
    take_lock
    install -d -m 0700 "$BACKUP_DIR"
    cd "$STACK_DIR"
    warn_about_stale_partials
    local final
    final="$BACKUP_DIR/backup_$(date +%Y%m%d_%H%M%S).dump"
    dump_database "$final"
    apply_retention "$final"
    printf '%s\n' "$final"
    if [[ -f "$OFFSITE_ENV_FILE" ]]; then copy_offsite "$final"; fi
}

main "$@"
