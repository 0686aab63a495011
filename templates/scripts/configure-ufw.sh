#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/configure-ufw.sh.
# UFW: deny incoming, allow outgoing, allow SSH from each source in ALLOW_FROM, enable.
# No `ufw limit`: Pulumi opens many SSH connections in parallel and would lock itself out.
# Our rules carry RULE_COMMENT, so sources removed from the config are deleted again (after the
# new ones are in place, never before).
set -euo pipefail

# --- rendered variables ---
SSH_PORT={{ ssh_port }}
ALLOW_FROM={{ allow_from }}
RULE_COMMENT={{ rule_comment }}
# --- end of rendered variables ---

firewall_state() {
    ufw status verbose 2>/dev/null || true
    cat /etc/ufw/user.rules /etc/ufw/user6.rules 2>/dev/null || true
}

is_wanted() {
    local source="$1" port="$2" wanted
    [[ "$port" == "$SSH_PORT" ]] || return 1
    for wanted in $ALLOW_FROM; do
        [[ "$wanted" == "$source" ]] && return 0
    done
    return 1
}

# `ufw show added` prints our rules as `ufw allow 22/tcp comment '...'` (from any) or
# `ufw allow from SRC to any port 22 proto tcp comment '...'`.
remove_stale_rules() {
    local line source port
    while IFS= read -r line; do
        [[ "$line" == *"comment '$RULE_COMMENT'"* ]] || continue
        if [[ "$line" =~ ^ufw\ allow\ ([0-9]+)/tcp ]]; then
            source="any"
            port="${BASH_REMATCH[1]}"
        elif [[ "$line" =~ ^ufw\ allow\ from\ ([^ ]+)\ to\ any\ port\ ([0-9]+)\ proto\ tcp ]]; then
            source="${BASH_REMATCH[1]}"
            port="${BASH_REMATCH[2]}"
        else
            continue
        fi
        if ! is_wanted "$source" "$port"; then
            echo "==> removing SSH rule for $source port $port (no longer in sshAllowFrom)"
            ufw --force delete allow proto tcp from "$source" to any port "$port" >/dev/null
        fi
    done < <(ufw show added 2>/dev/null)
}

main() {
    if ! command -v ufw >/dev/null; then
        echo "ERROR: ufw is not installed (the base-packages step installs it)" >&2
        exit 1
    fi
    local before source
    before="$(firewall_state)"
    ufw default deny incoming >/dev/null
    ufw default allow outgoing >/dev/null
    for source in $ALLOW_FROM; do
        ufw allow proto tcp from "$source" to any port "$SSH_PORT" comment "$RULE_COMMENT" >/dev/null
    done
    remove_stale_rules
    ufw --force enable >/dev/null
    ufw status verbose
    if [[ "$before" == "$(firewall_state)" ]]; then echo UNCHANGED; else echo CHANGED; fi
}

main "$@"
