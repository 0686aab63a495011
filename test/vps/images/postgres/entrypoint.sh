#!/usr/bin/env bash
# Test VPS only: first-run initialisation for the Debian-based Postgres test image.
set -euo pipefail

# Reads VAR or VAR_FILE (not both) into VAR, as the official image does.
file_env() {
    local var="$1" default="${2:-}" file_var="${1}_FILE"
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        echo "ERROR: both $var and $file_var are set; set one" >&2
        exit 1
    fi
    local value="$default"
    if [ -n "${!var:-}" ]; then
        value="${!var}"
    elif [ -n "${!file_var:-}" ]; then
        value="$(< "${!file_var}")"
    fi
    export "$var"="$value"
    unset "$file_var"
}

psql_admin() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" "$@"
}

init_database() {
    if [ -z "$POSTGRES_PASSWORD" ]; then
        echo "ERROR: POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) is required on first start" >&2
        exit 1
    fi
    echo "initialising a new database cluster in $PGDATA"
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
    printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    # Only the Unix socket while the init scripts run, so nobody sees a half-made database.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    if [ "$POSTGRES_DB" != postgres ]; then
        psql_admin --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    local file
    for file in /docker-entrypoint-initdb.d/*; do
        case "$file" in
            *.sql) echo "running $file"; psql_admin --dbname "$POSTGRES_DB" -f "$file" ;;
            *.sh) echo "running $file"; bash "$file" ;;
            *) [ -e "$file" ] && echo "ignoring $file" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "database initialised"
}

main() {
    if [ "${1:0:1}" = "-" ]; then set -- postgres "$@"; fi
    if [ "$1" != postgres ]; then exec "$@"; fi
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$PGDATA"
        chown postgres:postgres "$PGDATA"
        chmod 0700 "$PGDATA"
        exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
    fi
    file_env POSTGRES_USER postgres
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_DB "$POSTGRES_USER"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then init_database; fi
    exec "$@"
}

main "$@"
