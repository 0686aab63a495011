#!/usr/bin/env bash
# Managed by Pulumi from templates/opt/stack/scripts/health-monitor.sh;
# host edits are overwritten.
#
# One check of the compose stack, run every few minutes by telegram-health.timer:
#   - every compose service must have a running container that is healthy (or has no healthcheck);
#     a stopped or removed one gets `docker compose up -d <service>` (`restart` cannot bring back a
#     removed container), an unhealthy one `docker compose restart <service>`, a paused one
#     `docker compose unpause <service>`; one still starting is left to its healthcheck;
#   - the backup unit must not be in the failed state.
# A problem opens an incident (a file in the state directory). When an admin chat is configured,
# each incident sends one alert, and one recovery message once the service is healthy again; a
# message that could not be delivered is retried on the next check. Everything it does is logged
# (stderr, which systemd sends to the journal).
set -euo pipefail

# --- rendered variables ---
readonly STACK_DIR={{ stack_dir }}
readonly COMPOSE_PROJECT={{ compose_project }}
readonly ALERT_ENV_FILE={{ alert_env_file }}
readonly BOT_API_SERVICE={{ bot_api_service }}
readonly BOT_API_PORT={{ bot_api_port }}
readonly BACKUP_UNIT={{ backup_unit }}
readonly LOCK_DIR={{ lock_dir }}
# --- end of rendered variables ---

# systemd sets STATE_DIRECTORY from the unit's StateDirectory=.
readonly STATE_DIR="${STATE_DIRECTORY:-/var/lib/telegram-health}"
readonly LOG_TAG="telegram-health"

ALERT_BOT_TOKEN=""
ALERT_CHAT_ID=""
ALERT_API_BASE_URL=""
failures=0
problems=0
heal_outcome=""

log() {
    printf '%s\n' "$*" >&2
    if [[ -z "${INVOCATION_ID:-}" ]]; then logger -t "$LOG_TAG" -- "$*" 2>/dev/null || true; fi
}

compose() {
    docker compose -p "$COMPOSE_PROJECT" "$@"
}

# Ids of a service's containers, stopped ones included, by compose's labels: names differ between
# Compose v2 and v1, and v2's `ps -q` lists running containers only.
service_containers() {
    docker ps -a -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" \
        --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False"
}

# Reads KEY=VALUE lines without evaluating them as shell.
load_alert_config() {
    [[ -f "$ALERT_ENV_FILE" ]] || return 0
    local line key
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        key="${line%%=*}"
        case "$key" in
            ALERT_BOT_TOKEN | ALERT_CHAT_ID | ALERT_API_BASE_URL)
                printf -v "$key" '%s' "${line#*=}" ;;
            *) log "WARNING: ignoring unknown key '$key' in $ALERT_ENV_FILE" ;;
        esac
    done <"$ALERT_ENV_FILE"
}

alerts_enabled() {
    [[ -n "$ALERT_BOT_TOKEN" && -n "$ALERT_CHAT_ID" ]]
}

# "local" means the stack's own Bot API server: it publishes no ports, so it is reached at its
# container address on the compose network, which the host can route to.
api_base_url() {
    if [[ "$ALERT_API_BASE_URL" != "local" ]]; then
        printf '%s\n' "${ALERT_API_BASE_URL%/}"
        return 0
    fi
    local id address format='{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}'
    id="$(compose ps -q "$BOT_API_SERVICE" | head -n 1)"
    [[ -n "$id" ]] || return 1
    address="$(docker inspect --format "$format" "$id" | awk '{ print $1 }')"
    [[ -n "$address" ]] || return 1
    printf 'http://%s:%s\n' "$address" "$BOT_API_PORT"
}

curl_config_quote() {
    local value="${1//\\/\\\\}"
    printf '"%s"' "${value//\"/\\\"}"
}

# The token is part of the URL, so the URL goes to curl through a config on a pipe, never argv.
send_message() {
    local text="$1" base url
    if ! base="$(api_base_url)"; then
        log "WARNING: no Bot API to send through ($BOT_API_SERVICE has no container); will retry"
        return 1
    fi
    url="$(curl_config_quote "$base/bot$ALERT_BOT_TOKEN/sendMessage")"
    if ! curl --silent --show-error --fail --max-time 20 --output /dev/null \
        --config <(printf 'url = %s\n' "$url") \
        --data-urlencode "chat_id=$ALERT_CHAT_ID" --data-urlencode "text=$text" \
        --data "disable_web_page_preview=true"; then
        log "WARNING: the message to chat $ALERT_CHAT_ID was not delivered; will retry next check"
        return 1
    fi
}

prefix() {
    printf '%s on %s' "$COMPOSE_PROJECT" "$(hostname)"
}

# --- incidents: one file per subject holding since=, alerted= and detail= lines ---

incident_file() {
    printf '%s/incident.%s\n' "$STATE_DIR" "$1"
}

incident_field() {
    sed -n "s/^$2=//p" "$(incident_file "$1")"
}

write_incident() {
    local file
    file="$(incident_file "$1")"
    printf 'since=%s\nalerted=%s\ndetail=%s\n' "$2" "$3" "$4" >"$file.tmp"
    mv -f -- "$file.tmp" "$file"
}

# Opens the incident unless it is already open, then sends its alert once.
report_problem() {
    local subject="$1" detail="$2" file
    problems=$((problems + 1))
    file="$(incident_file "$subject")"
    if [[ ! -f "$file" ]]; then
        write_incident "$subject" "$(date +%s)" 0 "$detail"
        log "incident opened: $subject: $detail"
    fi
    if alerts_enabled && [[ "$(incident_field "$subject" alerted)" != 1 ]]; then
        if send_message "🔴 $(prefix): $subject: $detail"; then
            write_incident "$subject" "$(incident_field "$subject" since)" 1 \
                "$(incident_field "$subject" detail)"
            log "alert sent for $subject"
        fi
    fi
}

close_incident() {
    local subject="$1" since
    [[ -f "$(incident_file "$subject")" ]] || return 0
    since="$(date -d "@$(incident_field "$subject" since)" '+%Y-%m-%d %H:%M %Z')"
    if alerts_enabled; then
        send_message "✅ $(prefix): $subject is healthy again (problem since $since)" || return 0
        log "recovery message sent for $subject"
    fi
    rm -f -- "$(incident_file "$subject")"
    log "incident closed: $subject is healthy again"
}

# --- checks ---

# Prints "<verdict> <detail>"; verdict is ok, starting, down, unhealthy or paused. Runs under
# `if`, where errexit is off, so every Docker call checks its own status.
probe_service() {
    local service="$1" ids id state verdict="ok" detail="running"
    local format='{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}'
    ids="$(service_containers "$service")" || return 1
    if [[ -z "$ids" ]]; then
        printf 'down no running container\n'
        return 0
    fi
    for id in $ids; do
        state="$(docker inspect --format "$format" "$id")" || return 1
        case "$state" in
            "running healthy" | "running none") continue ;;
            "running starting")
                if [[ "$verdict" == ok ]]; then verdict="starting" detail="$state"; fi ;;
            "running unhealthy" | restarting*) verdict="unhealthy"; detail="$state" ;;
            paused*) verdict="paused"; detail="$state" ;;
            *) verdict="down"; detail="$state"; break ;;
        esac
    done
    printf '%s %s\n' "$verdict" "$detail"
}

# Sets heal_outcome to what was done, for the alert.
heal_service() {
    local service="$1" verdict="$2" action
    case "$verdict" in
        down) action=(up -d "$service") ;;
        unhealthy) action=(restart "$service") ;;
        paused) action=(unpause "$service") ;;
    esac
    log "==> $service is $verdict: running docker compose ${action[*]}"
    if compose "${action[@]}" >&2; then
        heal_outcome="ran docker compose ${action[*]}"
    else
        failures=$((failures + 1))
        log "ERROR: docker compose ${action[*]} failed; see above and: docker compose logs $service"
        heal_outcome="docker compose ${action[*]} FAILED"
    fi
}

check_service() {
    local service="$1" result verdict detail
    if ! result="$(probe_service "$service")"; then
        failures=$((failures + 1))
        log "ERROR: could not read the state of $service from Docker; see the lines above"
        return 0
    fi
    verdict="${result%% *}"
    detail="${result#* }"
    case "$verdict" in
        ok) close_incident "service.$service" ;;
        # Just started or restarted: its healthcheck decides on a later check.
        starting) log "$service is starting ($detail); checking again next time" ;;
        *)
            heal_service "$service" "$verdict"
            report_problem "service.$service" "$service was $verdict ($detail); $heal_outcome"
            ;;
    esac
}

check_backup_unit() {
    if systemctl is-failed --quiet "$BACKUP_UNIT"; then
        report_problem "unit.$BACKUP_UNIT" "the last backup failed; see journalctl -u $BACKUP_UNIT"
    else
        close_incident "unit.$BACKUP_UNIT"
    fi
}

main() {
    umask 077
    mkdir -p "$STATE_DIR" "$LOCK_DIR"
    exec {maintenance_fd}>"$LOCK_DIR/maintenance.lock"
    if ! flock -n "$maintenance_fd"; then
        log "a database restore is running; skipping this check"
        return 0
    fi
    cd "$STACK_DIR"
    load_alert_config
    local services service count=0
    services="$(compose config --services)" ||
        { log "ERROR: docker compose config failed in $STACK_DIR; is Docker running?"; exit 1; }
    for service in $services; do
        check_service "$service"
        count=$((count + 1))
    done
    check_backup_unit
    log "checked $count services and $BACKUP_UNIT: $problems problem(s), $failures failed repair(s)"
    [[ "$failures" -eq 0 ]]
}

main "$@"
