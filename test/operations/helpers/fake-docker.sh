#!/usr/bin/env bash
# Test double for the docker CLI with Compose v2, put first on PATH by the operations tests. It
# answers exactly the calls the operations scripts make, from a state directory ($FAKE_DOCKER_STATE):
#   services/<name>   "<status> <health>" of the service's container ("running healthy",
#                     "exited none", ...) or "absent" (no container); the file list is the
#                     service list of `docker compose config --services`
#   after/<name>      the state `up -d` / `restart` / `start` / `unpause` leaves (default "running healthy")
#   ip/<name>         the container's address on the compose network (default 127.0.0.1)
#   log-config/<name> "<driver> <max-size>" of the container (default "json-file 10m")
#   fail/<command>    makes that compose command (up, restart, stop, config, ps), `docker ps`
#                     (fail/docker-ps) or that
#                     Postgres tool (pg_dump, pg_restore except --list, psql) fail
#   calls.log         one line per call, appended
# `compose exec -T postgres <tool> ...` runs the real Postgres tool from $FAKE_PG_BIN against the
# test cluster ($FAKE_PGHOST, $FAKE_PGPORT); a failing pg_dump first writes part of a real dump.
set -euo pipefail

readonly STATE="${FAKE_DOCKER_STATE:?FAKE_DOCKER_STATE must point at the fake docker state directory}"

fail() {
    printf 'fake docker: %s\n' "$*" >&2
    exit 64
}

service_state() {
    [[ -f "$STATE/services/$1" ]] || fail "no such service: $1"
    cat "$STATE/services/$1"
}

service_of_id() {
    [[ "$1" == id-* ]] || fail "unknown container id $1"
    printf '%s\n' "${1#id-}"
}

bring_up() {
    local service="$1" after="running healthy"
    service_state "$service" >/dev/null
    if [[ -f "$STATE/after/$service" ]]; then after="$(cat "$STATE/after/$service")"; fi
    printf '%s\n' "$after" >"$STATE/services/$service"
}

maybe_fail() {
    if [[ -e "$STATE/fail/$1" ]]; then
        printf 'fake docker: %s failed as the test asked\n' "$1" >&2
        exit 1
    fi
}

run_postgres_tool() {
    local tool="$1"
    shift
    case "$tool" in pg_dump | pg_restore | psql) ;; *) fail "unexpected tool in postgres: $tool" ;; esac
    export PGHOST="${FAKE_PGHOST:?}" PGPORT="${FAKE_PGPORT:?}"
    # `pg_restore --list` only reads the archive; a failure is asked for the restore itself.
    if [[ -e "$STATE/fail/$tool" && " $* " != *" --list "* ]]; then
        if [[ "$tool" == pg_dump ]]; then "$FAKE_PG_BIN/pg_dump" "$@" | head -c 200 || true; fi
        printf 'fake docker: %s failed as the test asked\n' "$tool" >&2
        exit 1
    fi
    exec "$FAKE_PG_BIN/$tool" "$@"
}

compose() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -p | --project-name | -f | --file | --project-directory) shift 2 ;;
            *) break ;;
        esac
    done
    local command="${1:?compose command missing}"
    shift
    case "$command" in
        config)
            [[ "$*" == "--services" ]] || fail "compose config $*"
            maybe_fail config
            ls "$STATE/services"
            ;;
        ps)
            # Compose v2: running containers only (v1 also listed stopped ones).
            [[ "${1:-}" == -q && $# -eq 2 ]] || fail "compose ps $*"
            maybe_fail ps
            if [[ "$(service_state "$2")" == running* ]]; then printf 'id-%s\n' "$2"; fi
            ;;
        up)
            [[ "${1:-}" == -d ]] || fail "compose up without -d: $*"
            shift
            maybe_fail up
            for service in "$@"; do bring_up "$service"; done
            ;;
        restart | start | unpause)
            maybe_fail "$command"
            for service in "$@"; do bring_up "$service"; done
            ;;
        stop)
            maybe_fail stop
            for service in "$@"; do printf 'exited none\n' >"$STATE/services/$service"; done
            ;;
        exec)
            [[ "${1:-}" == -T && "${2:-}" == postgres ]] || fail "compose exec $*"
            shift 2
            run_postgres_tool "$@"
            ;;
        *) fail "unsupported compose command: $command" ;;
    esac
}

inspect() {
    [[ "${1:-}" == --format ]] || fail "inspect without --format: $*"
    local format="$2" service status health
    shift 2
    for id in "$@"; do
        service="$(service_of_id "$id")"
        case "$format" in
            *IPAddress*) cat "$STATE/ip/$service" 2>/dev/null || printf '127.0.0.1\n' ;;
            *LogConfig*)
                printf '/%s-%s-1 %s\n' "${COMPOSE_PROJECT_FOR_TEST:-telegram-ecosystem}" "$service" \
                    "$(cat "$STATE/log-config/$service" 2>/dev/null || printf 'json-file 10m')" ;;
            # production-check.sh's format: "<status>" or "<status>/<health>".
            *'{{if .State.Health}}/'*)
                read -r status health <<<"$(service_state "$service")"
                if [[ "$health" == none ]]; then printf '%s\n' "$status"; else printf '%s/%s\n' "$status" "$health"; fi ;;
            *State.Status*) service_state "$service" ;;
            *) fail "unexpected inspect format: $format" ;;
        esac
    done
}

# `docker ps -q` with the project label: the running containers. `docker ps -a -q` with the
# project, service and oneoff=False labels: that service's container in any state.
list_containers() {
    local project="label=com.docker.compose.project=${COMPOSE_PROJECT_FOR_TEST:-telegram-ecosystem}"
    local file service
    maybe_fail docker-ps
    if [[ "$*" == "-q --filter $project" ]]; then
        for file in "$STATE"/services/*; do
            [[ "$(cat "$file")" == running* ]] && printf 'id-%s\n' "$(basename "$file")"
        done
        return 0
    fi
    [[ "$*" =~ ^-a\ -q\ --filter\ $project\ --filter\ label=com\.docker\.compose\.service=([a-z0-9-]+)\ --filter\ label=com\.docker\.compose\.oneoff=False$ ]] ||
        fail "docker ps $*"
    service="${BASH_REMATCH[1]}"
    if [[ "$(service_state "$service")" != absent ]]; then printf 'id-%s\n' "$service"; fi
}

main() {
    printf '%s\n' "$*" >>"$STATE/calls.log"
    case "${1:-}" in
        compose) shift; compose "$@" ;;
        inspect) shift; inspect "$@" ;;
        ps) shift; list_containers "$@" ;;
        *) fail "unsupported command: $*" ;;
    esac
}

main "$@"
