#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/set-timezone.sh.
# Sets the timezone through /etc/localtime and /etc/timezone (timedatectl needs a running
# systemd-timedated, which containers and minimal images may lack).
set -euo pipefail

# --- rendered variables ---
TIMEZONE={{ timezone }}
# --- end of rendered variables ---

main() {
    local zone_file="/usr/share/zoneinfo/$TIMEZONE" changed=0
    if [[ ! -f "$zone_file" ]]; then
        echo "ERROR: unknown timezone $TIMEZONE ($zone_file is missing; is tzdata installed?)" >&2
        exit 1
    fi
    if [[ "$(readlink -f /etc/localtime 2>/dev/null || true)" != "$(readlink -f "$zone_file")" ]]; then
        ln -sfn "$zone_file" /etc/localtime
        changed=1
    fi
    if [[ "$(cat /etc/timezone 2>/dev/null || true)" != "$TIMEZONE" ]]; then
        printf '%s\n' "$TIMEZONE" >/etc/timezone
        changed=1
    fi
    echo "==> timezone $TIMEZONE"
    if ((changed)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
