#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-operations.sh.
#
# Installs the backup and health-monitor scripts, their systemd units and the journald size cap,
# then activates them. stdin holds one line per file: "<mode> <absolute path> <base64 content>".
# A file is replaced (atomically) only when its content or mode differs; systemd is reloaded and
# journald restarted only when their files changed. Also checks that Docker rotates the logs of the
# stack's containers, and fails when it does not. Prints CHANGED or UNCHANGED as its last line.
set -euo pipefail

# --- rendered variables ---
readonly TIMERS={{ timers }}
readonly ON_CALENDAR={{ on_calendar }}
readonly BACKUP_DIR={{ backup_dir }}
readonly COMPOSE_PROJECT={{ compose_project }}
# --- end of rendered variables ---

changed=false
units_changed=false
journald_changed=false

die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

install_file() {
    local mode="$1" path="$2" data="$3" tmp
    install -d -m 0755 "$(dirname "$path")"
    tmp="$(mktemp "$path.XXXXXX")"
    printf '%s' "$data" | base64 -d >"$tmp"
    chmod "$mode" "$tmp"
    if [[ -f "$path" && "$(stat -c %a "$path")" == "${mode#0}" ]] && cmp -s "$tmp" "$path"; then
        rm -f -- "$tmp"
        return 0
    fi
    mv -f -- "$tmp" "$path"
    echo "==> installed $path"
    changed=true
    case "$path" in
        *.service | *.timer) units_changed=true ;;
        */journald.conf.d/*) journald_changed=true ;;
    esac
}

install_files() {
    local mode path data
    while read -r mode path data; do
        [[ -n "$mode" ]] || continue
        [[ "$mode" =~ ^0[0-7]{3}$ && "$path" == /* ]] || die "bad file line on stdin: '$mode $path'"
        install_file "$mode" "$path" "$data"
    done
}

ensure_backup_dir() {
    if [[ -d "$BACKUP_DIR" && "$(stat -c %a "$BACKUP_DIR")" == 700 ]]; then return 0; fi
    install -d -m 0700 "$BACKUP_DIR"
    echo "==> created $BACKUP_DIR (mode 0700)"
    changed=true
}

# `local` rotates by default and journald is capped by our drop-in; json-file needs max-size.
check_log_rotation() {
    local id config name driver
    local format='{{.Name}} {{.HostConfig.LogConfig.Type}}'
    format+=' {{index .HostConfig.LogConfig.Config "max-size"}}'
    for id in $(docker ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT"); do
        config="$(docker inspect --format "$format" "$id")"
        name="${config%% *}"
        driver="${config#* }"
        case "$driver" in
            local\ * | journald\ * | json-file\ [0-9]*) ;;
            json-file\ *)
                die "container ${name#/} logs with json-file without max-size, so its log" \
                    "never rotates; set log-opts max-size and max-file in" \
                    "/etc/docker/daemon.json, restart Docker and recreate the containers" \
                    "(docker compose up -d --force-recreate)" ;;
            *) die "container ${name#/} logs with '$driver'; use json-file + max-size, or local" ;;
        esac
    done
}

activate() {
    if [[ "$units_changed" == true ]]; then systemctl daemon-reload; fi
    if [[ "$journald_changed" == true ]]; then
        systemctl restart systemd-journald
        echo "==> restarted systemd-journald"
    fi
    local timer
    for timer in $TIMERS; do
        if ! systemctl is-enabled --quiet "$timer" || ! systemctl is-active --quiet "$timer"; then
            systemctl enable --now "$timer"
            echo "==> enabled and started $timer"
            changed=true
        elif [[ "$units_changed" == true ]]; then
            # A running timer keeps its old schedule until restarted.
            systemctl restart "$timer"
            echo "==> restarted $timer"
        fi
    done
}

main() {
    # Fails here, before anything is installed, on a bad time or an unknown time zone.
    systemd-analyze calendar "$ON_CALENDAR" >/dev/null ||
        die "systemd cannot parse the backup schedule '$ON_CALENDAR'; check the backup time and" \
            "the time zone (is tzdata installed?)"
    install_files
    ensure_backup_dir
    activate
    check_log_rotation
    if [[ "$changed" == true ]]; then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
