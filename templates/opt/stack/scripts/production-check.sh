#!/usr/bin/env bash
# Managed by Pulumi from templates/opt/stack/scripts/production-check.sh;
# host edits are overwritten.
#
# The production checklist against this server (`npm run ops -- check` runs it): one line per
# item, PASS or FAIL with what was found and, for a failure, the fix. Exits 1 when any item fails.
# Read-only, except for a test row written to shared.analytics_events and rolled back. Prints no
# secret: tokens and the heartbeat URL stay in their files or go to curl through a pipe.
set -uo pipefail

# --- rendered variables ---
readonly STACK_DIR={{ stack_dir }}
readonly COMPOSE_PROJECT={{ compose_project }}
readonly BACKUP_DIR={{ backup_dir }}
readonly BACKUP_MAX_AGE_HOURS={{ backup_max_age_hours }}
readonly TIMERS={{ timers }}
readonly HEALTH_TIMER={{ health_timer }}
readonly MONITOR_INTERVAL_SECONDS={{ monitor_interval_seconds }}
readonly HEALTH_STATE_DIR={{ health_state_dir }}
readonly ALERT_ENV_FILE={{ alert_env_file }}
readonly BOT_API_SERVICE={{ bot_api_service }}
readonly BOT_API_PORT={{ bot_api_port }}
readonly BOTS={{ bots }}
readonly MEDIA_ROOT={{ media_root }}
readonly POSTGRES_USER={{ postgres_user }}
readonly POSTGRES_DB={{ postgres_db }}
readonly DAEMON_JSON={{ daemon_json }}
readonly JOURNALD_DROP_IN={{ journald_drop_in }}
readonly PROC_DIR={{ proc_dir }}
readonly DISK_PATHS={{ disk_paths }}
readonly DISK_MIN_FREE_PERCENT={{ disk_min_free_percent }}
readonly INODES_MIN_FREE_PERCENT={{ inodes_min_free_percent }}
readonly MEMORY_MIN_AVAILABLE_MB={{ memory_min_available_mb }}
readonly MEMORY_LOW_CHECKS={{ memory_low_checks }}
# --- end of rendered variables ---

# Each check sets DETAIL (what it found) and, when it fails, FIX, and returns non-zero on failure.
DETAIL=""
FIX=""
passed=0
failed=0
readonly REPLACE='pulumi up --replace <urn> (the urn from: pulumi stack --show-urns | grep'

item() {
    local name="$1"
    shift
    DETAIL=""
    FIX=""
    if "$@"; then
        printf 'PASS  %-18s %s\n' "$name" "$DETAIL"
        passed=$((passed + 1))
    else
        printf 'FAIL  %-18s %s; fix: %s\n' "$name" "$DETAIL" "$FIX"
        failed=$((failed + 1))
    fi
}

compose() {
    docker compose -p "$COMPOSE_PROJECT" "$@"
}

# A service's container in any state, by compose's labels: names differ between Compose v2 and
# v1, and v2's `ps -q` lists running containers only (a stopped one would read as missing).
container_of() {
    docker ps -a -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" \
        --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False" |
        head -n 1
}

# The value of one variable in a container's environment (the others, secrets among them, are
# filtered out here on the host).
container_env() {
    docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$1" 2>/dev/null |
        sed -n "s/^$2=//p"
}

hours_since() {
    echo $((($(date +%s) - ${1%.*}) / 3600))
}

# --- the checklist ---

check_firewall() {
    local status
    FIX="ufw --force enable (it keeps the rules); if rules are missing: $REPLACE host-ufw)"
    if ! status="$(ufw status verbose 2>&1)"; then
        DETAIL="ufw status failed: ${status//$'\n'/ }"
        return 1
    fi
    if ! grep -q '^Status: active' <<<"$status"; then
        DETAIL="ufw is not active: every port of the host is reachable"
        return 1
    fi
    if ! grep -q '^Default: deny (incoming)' <<<"$status"; then
        DETAIL="ufw does not deny incoming connections by default"
        return 1
    fi
    DETAIL="ufw is active and denies incoming connections by default;"
    DETAIL+=" $(grep -c 'ALLOW IN' <<<"$status") allow rule(s)"
}

check_ssh_passwords() {
    local effective password keyboard root
    FIX="find what turns it on (grep -ri -e PasswordAuthentication -e KbdInteractive"
    FIX+=" -e PermitRootLogin /etc/ssh/sshd_config /etc/ssh/sshd_config.d/), remove it, then"
    FIX+=" $REPLACE host-sshd-hardening)"
    if ! effective="$(sshd -T 2>&1)"; then
        DETAIL="sshd -T failed: ${effective//$'\n'/ }"
        return 1
    fi
    password="$(awk '$1 == "passwordauthentication" { print $2; exit }' <<<"$effective")"
    keyboard="$(awk '$1 == "kbdinteractiveauthentication" { print $2; exit }' <<<"$effective")"
    root="$(awk '$1 == "permitrootlogin" { print $2; exit }' <<<"$effective")"
    DETAIL="sshd: passwordauthentication $password, kbdinteractiveauthentication $keyboard,"
    DETAIL+=" permitrootlogin $root"
    [[ "$password" == no && "$keyboard" == no ]] &&
        [[ "$root" == without-password || "$root" == prohibit-password || "$root" == no ]]
}

check_backups() {
    local newest age
    FIX="npm run ops -- backup; if it fails: journalctl -u telegram-backup.service"
    newest="$(find "$BACKUP_DIR" -maxdepth 1 -type f \
        \( -name 'backup_*.dump' -o -name 'backup_*.sql.gz' \) -printf '%T@ %f\n' 2>/dev/null |
        sort -n | tail -n 1)"
    if [[ -z "$newest" ]]; then
        DETAIL="no backup in $BACKUP_DIR yet"
        return 1
    fi
    age="$(hours_since "${newest%% *}")"
    DETAIL="the newest backup ${newest#* } is $age h old (limit $BACKUP_MAX_AGE_HOURS h)"
    ((age <= BACKUP_MAX_AGE_HOURS))
}

# A timer must be active and the last run of its service must have succeeded.
check_timer() {
    local timer="$1" service="${1%.timer}.service" result last next
    FIX="systemctl enable --now $timer; journalctl -u $service -n 50"
    if ! systemctl is-active --quiet "$timer"; then
        DETAIL="$timer is $(systemctl is-active "$timer" 2>/dev/null)"
        return 1
    fi
    result="$(systemctl show -P Result "$service")"
    last="$(systemctl show -P LastTriggerUSec "$timer")"
    next="$(systemctl show -P NextElapseUSecRealtime "$timer")"
    DETAIL="$timer active; last run: ${last:-never} (${result:-unknown})"
    # Monotonic timers (every N seconds) have no calendar time for the next run.
    if [[ -n "$next" && "$next" != n/a ]]; then DETAIL+="; next: $next"; fi
    [[ "$result" == success ]]
}

# The monitor writes "<time> <problems> <failed repairs>" at the end of every check.
check_health_monitor() {
    local time problems failures age limit=$((3 * MONITOR_INTERVAL_SECONDS)) incidents
    FIX="systemctl enable --now $HEALTH_TIMER; journalctl -u telegram-health.service -n 50"
    if ! read -r time problems failures 2>/dev/null <"$HEALTH_STATE_DIR/last-check"; then
        DETAIL="the health monitor has not run yet"
        return 1
    fi
    age=$(($(date +%s) - time))
    incidents="$(find "$HEALTH_STATE_DIR" -maxdepth 1 -name 'incident.*' -printf '%f ' \
        2>/dev/null)"
    DETAIL="last check ${age} s ago (every $MONITOR_INTERVAL_SECONDS s): $problems problem(s),"
    DETAIL+=" $failures failed repair(s); open incidents: ${incidents:-none}"
    ((age <= limit))
}

# A health check still "starting" (a container just created) is reported, not failed: Docker
# turns it into healthy or unhealthy within the check's retries.
check_services() {
    local services service id state bad="" starting=""
    FIX="npm run ops -- logs <service>; the monitor repairs within one interval"
    if ! services="$(compose config --services 2>&1)"; then
        DETAIL="docker compose config failed: ${services//$'\n'/ }"
        return 1
    fi
    for service in $services; do
        id="$(container_of "$service")"
        if [[ -z "$id" ]]; then
            bad+=" $service:missing"
            continue
        fi
        state="$(docker inspect --format \
            '{{.State.Status}}{{if .State.Health}}/{{.State.Health.Status}}{{end}}' "$id")"
        case "$state" in
            running | running/healthy) ;;
            running/starting) starting+=" $service" ;;
            *) bad+=" $service:$state" ;;
        esac
    done
    if [[ -n "$bad" ]]; then
        DETAIL="not healthy:$bad"
        return 1
    fi
    DETAIL="$(wc -w <<<"$services") services running"
    if [[ -n "$starting" ]]; then
        DETAIL+="; health check still starting:$starting"
    else
        DETAIL+=" and healthy"
    fi
}

check_log_rotation() {
    local id config bad=""
    local format='{{.Name}} {{.HostConfig.LogConfig.Type}}'
    format+=' {{index .HostConfig.LogConfig.Config "max-size"}}'
    FIX="$REPLACE engine-docker-daemon), then in $STACK_DIR: docker compose up -d"
    FIX+=" --force-recreate"
    if ! grep -q '"max-size"' "$DAEMON_JSON" 2>/dev/null; then
        DETAIL="$DAEMON_JSON sets no max-size: container logs grow without limit"
        return 1
    fi
    for id in $(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT"); do
        config="$(docker inspect --format "$format" "$id")"
        case "${config#* }" in
            local\ * | journald\ * | json-file\ [0-9]*) ;;
            *) bad+=" ${config%% *}" ;;
        esac
    done
    if [[ -n "$bad" ]]; then
        DETAIL="containers whose logs never rotate:${bad//\//}"
        return 1
    fi
    if [[ ! -f "$JOURNALD_DROP_IN" ]]; then
        DETAIL="the journald size cap $JOURNALD_DROP_IN is missing"
        FIX="$REPLACE stack-operations)"
        return 1
    fi
    DETAIL="Docker rotates every stack container's log; journald is capped"
}

check_automatic_updates() {
    local installed periodic
    FIX="$REPLACE host-unattended-upgrades-periodic); look for overrides in /etc/apt/apt.conf.d/"
    installed="$(dpkg-query -W -f '${Status}' unattended-upgrades 2>/dev/null)"
    if [[ "$installed" != "install ok installed" ]]; then
        DETAIL="unattended-upgrades is not installed"
        return 1
    fi
    periodic="$(apt-config dump APT::Periodic::Unattended-Upgrade |
        sed -n 's/^APT::Periodic::Unattended-Upgrade "\(.*\)";$/\1/p' | tail -n 1)"
    if [[ "$periodic" != 1 ]]; then
        DETAIL="APT::Periodic::Unattended-Upgrade is \"${periodic}\", not \"1\""
        return 1
    fi
    if ! systemctl is-active --quiet apt-daily-upgrade.timer; then
        DETAIL="apt-daily-upgrade.timer is not active"
        FIX="systemctl enable --now apt-daily.timer apt-daily-upgrade.timer"
        return 1
    fi
    DETAIL="unattended-upgrades installed and enabled; apt-daily-upgrade.timer active"
}

check_heartbeat() {
    local last age limit=$((3 * MONITOR_INTERVAL_SECONDS)) error
    FIX="pulumi config set --secret --path monitor.heartbeatUrl <ping URL>, then pulumi up"
    FIX+=" (README: Outside monitoring)"
    if ! grep -q '^HEARTBEAT_URL=.' "$ALERT_ENV_FILE" 2>/dev/null; then
        DETAIL="no heartbeat URL: nothing outside the VPS notices when it is down"
        return 1
    fi
    FIX="check the URL and that the VPS reaches it; journalctl -u telegram-health.service"
    if [[ ! -f "$HEALTH_STATE_DIR/heartbeat.last-ok" ]]; then
        DETAIL="configured, but no ping has succeeded yet"
    else
        last="$(cat "$HEALTH_STATE_DIR/heartbeat.last-ok")"
        age=$(($(date +%s) - last))
        DETAIL="configured; last successful ping ${age} s ago"
    fi
    if [[ -f "$HEALTH_STATE_DIR/heartbeat.last-error" ]]; then
        error="$(cut -d ' ' -f 2- "$HEALTH_STATE_DIR/heartbeat.last-error")"
        DETAIL+="; the last ping failed: $error"
        return 1
    fi
    [[ -n "${age:-}" ]] && ((age <= limit))
}

# Files over 50 MB go through the Local Bot API by path: it must run in local mode and see each
# bot's media directory at the same path as the bot.
check_local_bot_api() {
    local api bot id source target local_mode getme
    FIX="in $STACK_DIR: docker compose up -d; if the compose file was edited:"
    FIX+=" $REPLACE stack-stack-compose-file)"
    api="$(container_of "$BOT_API_SERVICE")"
    if [[ -z "$api" ]]; then
        DETAIL="$BOT_API_SERVICE has no container"
        return 1
    fi
    local_mode="$(container_env "$api" TELEGRAM_LOCAL)"
    if [[ -z "$local_mode" || "$local_mode" == 0 || "$local_mode" == false ]]; then
        DETAIL="$BOT_API_SERVICE does not run in local mode (TELEGRAM_LOCAL unset): uploads stop"
        DETAIL+=" at 50 MB"
        return 1
    fi
    DETAIL="local mode"
    for bot in $BOTS; do
        target="$MEDIA_ROOT/$bot"
        id="$(container_of "$bot")"
        if [[ -z "$id" ]]; then
            DETAIL+="; $bot has no container"
            return 1
        fi
        if [[ "$(container_env "$id" TELEGRAM_API_LOCAL)" != true ]]; then
            DETAIL+="; $bot does not use the local API (TELEGRAM_API_LOCAL)"
            return 1
        fi
        source="$(docker inspect --format \
            "{{range .Mounts}}{{if eq .Destination \"$target\"}}{{.Source}}{{end}}{{end}}" "$id")"
        if [[ -z "$source" ]] || ! docker inspect --format \
            '{{range .Mounts}}{{.Source}}:{{.Destination}}{{println}}{{end}}' "$api" |
            grep -qxF "$source:$target"; then
            DETAIL+="; $bot's media dir $target is not shared with $BOT_API_SERVICE"
            return 1
        fi
        if ! getme="$(bot_get_me "$api" "$bot")"; then
            DETAIL+="; getMe for $bot through $BOT_API_SERVICE failed: $getme"
            return 1
        fi
        DETAIL+="; $bot's media shared at $target, getMe ok"
    done
}

# getMe through the stack's Bot API server at its container address (no port is published); the
# token goes to curl in a config on a pipe, never on a command line.
bot_get_me() {
    local api="$1" bot="$2" token address answer
    token="$(sed -n 's/^BOT_TOKEN=//p' "$STACK_DIR/env/$bot.env" 2>/dev/null)"
    [[ -n "$token" ]] || { echo "no BOT_TOKEN in $STACK_DIR/env/$bot.env"; return 1; }
    address="$(docker inspect --format \
        '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$api" | awk '{ print $1 }')"
    answer="$(curl --silent --show-error --max-time 15 \
        --config <(printf 'url = "http://%s:%s/bot%s/getMe"\n' "$address" "$BOT_API_PORT" \
            "$token") 2>&1)"
    if [[ "$answer" != *'"ok":true'* ]]; then
        printf '%s\n' "${answer:0:200}"
        return 1
    fi
}

check_analytics_writes() {
    local output newest
    FIX="npm run ops -- logs postgres; check that the database accepts writes (disk space,"
    FIX+=" SHOW default_transaction_read_only)"
    if ! output="$(compose exec -T postgres \
        psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -qAt 2>&1 <<'SQL'
BEGIN;
INSERT INTO shared.users (telegram_id, first_name) VALUES (-1, 'production check')
    ON CONFLICT (telegram_id) DO NOTHING;
INSERT INTO shared.analytics_events (telegram_id, event_type, event_data)
    VALUES (-1, 'production_check', '{}');
ROLLBACK;
SELECT coalesce(to_char(max(created_at), 'YYYY-MM-DD HH24:MI') || ' UTC', 'none yet')
    FROM shared.analytics_events;
SQL
    )"; then
        DETAIL="a test row could not be written to shared.analytics_events:"
        DETAIL+=" $(tail -n 1 <<<"$output")"
        return 1
    fi
    newest="$(tail -n 1 <<<"$output")"
    DETAIL="a test event was written to shared.analytics_events and rolled back; newest event:"
    DETAIL+=" $newest"
}

check_disk() {
    local path existing=() size avail itotal iavail target low=""
    FIX="npm run ops -- status; remove old files, or grow the disk"
    for path in $DISK_PATHS; do
        if [[ -e "$path" ]]; then existing+=("$path"); fi
    done
    while read -r size avail itotal iavail target; do
        DETAIL+="${DETAIL:+; }$target $((avail * 100 / size))% free ($avail MB)"
        ((avail * 100 < size * DISK_MIN_FREE_PERCENT)) && low+=" $target:space"
        if ((itotal > 0)); then
            DETAIL+=", inodes $((iavail * 100 / itotal))% free"
            ((iavail * 100 < itotal * INODES_MIN_FREE_PERCENT)) && low+=" $target:inodes"
        fi
    done < <(df --block-size=1M --output=size,avail,itotal,iavail,target -- "${existing[@]}" |
        tail -n +2 | sort -u -k5)
    DETAIL+=" (alert under $DISK_MIN_FREE_PERCENT% / $INODES_MIN_FREE_PERCENT% inodes)"
    [[ -z "$low" ]]
}

check_memory() {
    local available total kills
    FIX="npm run ops -- status (docker stats); lower a service's memLimit or add memory"
    available="$(awk '$1 == "MemAvailable:" { printf "%d", $2 / 1024 }' "$PROC_DIR/meminfo")"
    total="$(awk '$1 == "MemTotal:" { printf "%d", $2 / 1024 }' "$PROC_DIR/meminfo")"
    kills="$(awk '$1 == "oom_kill" { print $2 }' "$PROC_DIR/vmstat" 2>/dev/null)"
    DETAIL="$available MB of $total MB available (alert under $MEMORY_MIN_AVAILABLE_MB MB for"
    DETAIL+=" $MEMORY_LOW_CHECKS checks); OOM kills since boot: ${kills:-unknown}"
    ((available >= MEMORY_MIN_AVAILABLE_MB))
}

main() {
    local timer
    cd "$STACK_DIR" || { echo "ERROR: no stack dir $STACK_DIR" >&2; exit 3; }
    item firewall check_firewall
    item ssh-passwords check_ssh_passwords
    item backups check_backups
    for timer in $TIMERS; do item "${timer%.timer}" check_timer "$timer"; done
    item health-monitor check_health_monitor
    item services check_services
    item log-rotation check_log_rotation
    item automatic-updates check_automatic_updates
    item heartbeat check_heartbeat
    item local-bot-api check_local_bot_api
    item analytics-writes check_analytics_writes
    item disk check_disk
    item memory check_memory
    printf '\n%d passed, %d failed\n' "$passed" "$failed"
    ((failed == 0))
}

main "$@"
