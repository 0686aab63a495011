#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/compose-up.sh.
# `docker compose up -d` for SERVICES (all when empty), then waits until each of them is healthy
# (or running, when it has no healthcheck). On timeout it fails and prints the last log lines of
# every service that is not ready. Polls `docker inspect` instead of `up --wait`, which
# docker-compose v1 (Debian 12) lacks. Finds containers by compose's labels, never by name (v2
# names them <project>-<service>-1, v1 <project>_<service>_1), stopped ones included (v2's
# `ps -q` lists running containers only).
set -euo pipefail

# --- rendered variables ---
STACK_DIR={{ stack_dir }}
PROJECT={{ project }}
SERVICES={{ services }}
REMOVE_ORPHANS={{ remove_orphans }}
TIMEOUT_SECONDS={{ timeout_seconds }}
MAINTENANCE_LOCK={{ maintenance_lock }}
LOCK_WAIT_SECONDS={{ lock_wait_seconds }}
# --- end of rendered variables ---

compose() {
    docker compose -p "$PROJECT" "$@"
}

# Ids of the project's service containers (of SERVICE when given), whatever their state.
containers() {
    local filters=(--filter "label=com.docker.compose.project=$PROJECT"
        --filter "label=com.docker.compose.oneoff=False")
    if (($#)); then filters+=(--filter "label=com.docker.compose.service=$1"); fi
    docker ps -a -q "${filters[@]}"
}

# One line per container: id and start time, so a recreate or a restart shows up as a change.
snapshot() {
    local ids
    ids="$(containers 2>/dev/null || true)"
    [[ -z "$ids" ]] && return 0
    # shellcheck disable=SC2086
    docker inspect --format '{{.Name}} {{.Id}} {{.State.StartedAt}}' $ids | sort
}

# Prints "ready" or the service's state (missing, exited, starting, unhealthy, ...).
service_state() {
    local id status health
    id="$(containers "$1" 2>/dev/null | head -n 1)"
    [[ -n "$id" ]] || { echo missing; return; }
    status="$(docker inspect --format '{{.State.Status}}' "$id")"
    [[ "$status" == "running" ]] || { echo "$status"; return; }
    health="$(docker inspect --format '{{json .State.Health}}' "$id")"
    if [[ "$health" == "null" ]]; then echo ready; return; fi
    health="$(grep -o '"Status":"[a-z]*"' <<<"$health" | head -n 1 | cut -d'"' -f4)"
    if [[ "$health" == "healthy" ]]; then echo ready; else echo "${health:-unknown}"; fi
}

wait_ready() {
    local deadline service state pending
    deadline=$((SECONDS + TIMEOUT_SECONDS))
    while true; do
        pending=()
        for service in "$@"; do
            state="$(service_state "$service")"
            [[ "$state" == "ready" ]] || pending+=("$service:$state")
        done
        if ((${#pending[@]} == 0)); then
            echo "==> ready: $*"
            return 0
        fi
        if ((SECONDS >= deadline)); then break; fi
        sleep 2
    done
    for service in "${pending[@]}"; do
        echo "ERROR: service ${service%%:*} is ${service#*:} after ${TIMEOUT_SECONDS}s; its last log lines:" >&2
        compose logs --no-color --tail 40 "${service%%:*}" >&2 || true
    done
    return 1
}

# The health monitor skips its check while this lock is held (as during a restore), so it never
# restarts a service that this deploy is recreating; a running check or restore is waited for.
take_maintenance_lock() {
    local lock_fd
    mkdir -p "$(dirname "$MAINTENANCE_LOCK")"
    exec {lock_fd}>"$MAINTENANCE_LOCK"
    if ! flock -w "$LOCK_WAIT_SECONDS" "$lock_fd"; then
        echo "ERROR: $MAINTENANCE_LOCK is still held after ${LOCK_WAIT_SECONDS}s (a health check or a database restore is running); run pulumi up again when it is done" >&2
        exit 1
    fi
}

main() {
    take_maintenance_lock
    cd "$STACK_DIR"
    local services before up_args=(up -d)
    if ! compose config -q; then
        echo "ERROR: $STACK_DIR/docker-compose.yml is invalid (see above)" >&2
        exit 1
    fi
    if [[ "$REMOVE_ORPHANS" == "yes" ]]; then up_args+=(--remove-orphans); fi
    read -ra services <<<"$SERVICES"
    if ((${#services[@]} == 0)); then
        mapfile -t services < <(compose config --services)
    fi
    before="$(snapshot)"
    compose "${up_args[@]}" ${SERVICES:+"${services[@]}"}
    wait_ready "${services[@]}"
    if [[ "$before" == "$(snapshot)" ]]; then echo UNCHANGED; else echo CHANGED; fi
}

main "$@"
