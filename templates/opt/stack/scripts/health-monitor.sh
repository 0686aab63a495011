#!/usr/bin/env bash
# Managed by Pulumi from templates/opt/stack/scripts/health-monitor.sh;
# host edits are overwritten.
#
# One check of the compose stack, run every few minutes by telegram-health.timer:
#   - every compose service must have a running container that is healthy (or has no healthcheck);
#     a stopped or removed one gets `docker compose up -d <service>` (`restart` cannot bring back a
#     removed container), an unhealthy one `docker compose restart <service>`, a paused one
#     `docker compose unpause <service>`; one still starting is left to its healthcheck;
#   - the backup unit must not be in the failed state;
#   - the filesystems of the stack dir and of Docker's data must keep enough free space and inodes;
#   - available memory must not stay low for several checks in a row;
#   - the kernel must not have killed a process for lack of memory (OOM) since the last check.
# A problem opens an incident (a file in the state directory). When an admin chat is configured,
# each incident sends one alert, and one recovery message once the service is healthy again; a
# message that could not be delivered is retried on the next check. A check without a failed
# repair then pings the heartbeat URL, if one is configured, so that an outside service notices
# when the checks stop (the whole VPS down). Everything it does is logged (stderr, which systemd
# sends to the journal).
set -euo pipefail

# --- rendered variables ---
readonly STACK_DIR={{ stack_dir }}
readonly COMPOSE_PROJECT={{ compose_project }}
readonly ALERT_ENV_FILE={{ alert_env_file }}
readonly BOT_API_SERVICE={{ bot_api_service }}
readonly BOT_API_PORT={{ bot_api_port }}
readonly BACKUP_UNIT={{ backup_unit }}
readonly LOCK_DIR={{ lock_dir }}
readonly PROC_DIR={{ proc_dir }}
readonly DISK_PATHS={{ disk_paths }}
readonly DISK_MIN_FREE_PERCENT={{ disk_min_free_percent }}
readonly INODES_MIN_FREE_PERCENT={{ inodes_min_free_percent }}
readonly MEMORY_MIN_AVAILABLE_MB={{ memory_min_available_mb }}
readonly MEMORY_LOW_CHECKS={{ memory_low_checks }}
# --- end of rendered variables ---

# systemd sets STATE_DIRECTORY from the unit's StateDirectory=.
readonly STATE_DIR="${STATE_DIRECTORY:-/var/lib/telegram-health}"
readonly LOG_TAG="telegram-health"

ALERT_BOT_TOKEN=""
ALERT_CHAT_ID=""
ALERT_API_BASE_URL=""
HEARTBEAT_URL=""
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
            ALERT_BOT_TOKEN | ALERT_CHAT_ID | ALERT_API_BASE_URL | HEARTBEAT_URL)
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

# --- host resources ---

# Prints "<size MB> <avail MB> <inodes> <free inodes> <mount point>" once per filesystem.
filesystems() {
    local path existing=()
    for path in $DISK_PATHS; do
        if [[ -e "$path" ]]; then existing+=("$path"); fi
    done
    ((${#existing[@]} > 0)) || return 0
    df --block-size=1M --output=size,avail,itotal,iavail,target -- "${existing[@]}" |
        tail -n +2 | sort -u -k5
}

check_disk() {
    local size avail itotal iavail target space="" inodes=""
    while read -r size avail itotal iavail target; do
        if ((size > 0 && avail * 100 < size * DISK_MIN_FREE_PERCENT)); then
            space+="${space:+; }$target has $avail MB free of $size MB ($((avail * 100 / size))%)"
        fi
        # Some filesystems (btrfs) have no fixed inode count and report 0.
        if ((itotal > 0 && iavail * 100 < itotal * INODES_MIN_FREE_PERCENT)); then
            inodes+="${inodes:+; }$target has $iavail of $itotal inodes free"
            inodes+=" ($((iavail * 100 / itotal))%)"
        fi
    done < <(filesystems)
    if [[ -n "$space" ]]; then
        space+=" (alert under $DISK_MIN_FREE_PERCENT%); see: npm run ops -- status"
        report_problem disk "$space"
    else
        close_incident disk
    fi
    if [[ -n "$inodes" ]]; then
        report_problem inodes "$inodes (alert under $INODES_MIN_FREE_PERCENT%)"
    else
        close_incident inodes
    fi
}

meminfo_mb() {
    awk -v key="$1:" '$1 == key { printf "%d\n", $2 / 1024; found = 1 } END { exit !found }' \
        "$PROC_DIR/meminfo"
}

# Low for one check is normal under a burst (an ffmpeg job); low for several in a row is not.
check_memory() {
    local available total swap_total swap_free detail count=0
    local low_file="$STATE_DIR/memory.low-checks"
    if ! available="$(meminfo_mb MemAvailable)" || ! total="$(meminfo_mb MemTotal)"; then
        log "WARNING: cannot read MemAvailable from $PROC_DIR/meminfo; memory not checked"
        return 0
    fi
    if ((available >= MEMORY_MIN_AVAILABLE_MB)); then
        rm -f -- "$low_file"
        close_incident memory
        return 0
    fi
    if [[ -f "$low_file" ]]; then count="$(cat "$low_file")"; fi
    count=$((count + 1))
    printf '%s\n' "$count" >"$low_file"
    if ((count < MEMORY_LOW_CHECKS)); then
        log "memory is low: $available MB available" \
            "(check $count of $MEMORY_LOW_CHECKS before alerting)"
        return 0
    fi
    swap_total="$(meminfo_mb SwapTotal || echo 0)"
    swap_free="$(meminfo_mb SwapFree || echo 0)"
    detail="only $available MB of $total MB available for $count checks in a row"
    detail+=" (alert under $MEMORY_MIN_AVAILABLE_MB MB); swap used"
    detail+=" $((swap_total - swap_free)) of $swap_total MB; see: npm run ops -- status"
    report_problem memory "$detail"
}

# The kernel counts OOM kills since boot (/proc/vmstat oom_kill, Linux 4.13+); the last count is
# kept with the boot id, so a reboot starts again from zero.
check_oom() {
    local count boot state="$STATE_DIR/oom-kills" last_boot="" last_count=0 last_time killed
    local line detail
    if ! count="$(awk '$1 == "oom_kill" { print $2; found = 1 } END { exit !found }' \
        "$PROC_DIR/vmstat" 2>/dev/null)"; then
        return 0
    fi
    boot="$(cat "$PROC_DIR/sys/kernel/random/boot_id" 2>/dev/null || echo unknown)"
    if [[ -f "$state" ]]; then read -r last_boot last_count last_time <"$state"; fi
    printf '%s %s %s\n' "$boot" "$count" "$(date +%s)" >"$state"
    # First check ever: history before it is not news.
    [[ -n "$last_boot" ]] || return 0
    if [[ "$last_boot" != "$boot" ]]; then last_count=0; fi
    killed=$((count - last_count))
    if ((killed <= 0)); then
        close_incident oom
        return 0
    fi
    line="$(journalctl -k -q -o cat --since "@${last_time:-0}" 2>/dev/null |
        grep -E 'Killed process|oom-kill:' | tail -n 1 || true)"
    detail="the kernel killed $killed process(es) for lack of memory since the last check"
    report_problem oom "$detail${line:+ (last: $line)}; see: journalctl -k | grep -i oom"
}

# --- the outside dead-man's switch ---

# A short, bounded ping that never fails the check: the outside service alerts on missing pings.
ping_heartbeat() {
    [[ -n "$HEARTBEAT_URL" ]] || return 0
    local url error
    url="$(curl_config_quote "$HEARTBEAT_URL")"
    if error="$(curl --silent --show-error --fail --connect-timeout 5 --max-time 10 \
        --output /dev/null --config <(printf 'url = %s\n' "$url") 2>&1)"; then
        date +%s >"$STATE_DIR/heartbeat.last-ok"
        rm -f -- "$STATE_DIR/heartbeat.last-error"
    else
        printf '%s %s\n' "$(date +%s)" "$error" >"$STATE_DIR/heartbeat.last-error"
        log "WARNING: the heartbeat ping failed ($error); the outside monitor alerts if this lasts"
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
    check_disk
    check_memory
    check_oom
    log "checked $count services, $BACKUP_UNIT, disk, memory and OOM kills:" \
        "$problems problem(s), $failures failed repair(s)"
    # For `ops check`: when the last check ran and what it found.
    printf '%s %s %s\n' "$(date +%s)" "$problems" "$failures" >"$STATE_DIR/last-check"
    [[ "$failures" -eq 0 ]] || return 1
    ping_heartbeat
}

main "$@"
