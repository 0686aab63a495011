#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/apply-sysctl.sh.
# Installs the sysctl baseline from stdin as SYSCTL_FILE and applies it key by key. A key the
# kernel refuses (read-only /proc/sys in a container, a missing module) is reported, not fatal;
# net.ipv4.ip_forward must end up 1 because Docker's networking needs it.
set -euo pipefail

# --- rendered variables ---
SYSCTL_FILE={{ sysctl_file }}
# --- end of rendered variables ---

TMP_FILE=""

cleanup() {
    if [[ -n "$TMP_FILE" ]]; then rm -f "$TMP_FILE"; fi
}

apply_keys() {
    local key value current changed=0
    while IFS='=' read -r key value; do
        key="${key//[[:space:]]/}"
        value="$(echo "$value" | xargs)"
        [[ -z "$key" || "$key" == \#* ]] && continue
        current="$(sysctl -n "$key" 2>/dev/null | xargs || true)"
        [[ "$current" == "$value" ]] && continue
        if sysctl -q -w "$key=$value" >/dev/null 2>&1; then
            echo "==> $key = $value"
            changed=1
        else
            echo "WARNING: cannot set $key here (read-only or missing in this kernel/container); it stays ${current:-unset}"
        fi
    done <"$SYSCTL_FILE"
    return $((changed == 0))
}

main() {
    trap cleanup EXIT
    local changed=0
    TMP_FILE="$(mktemp)"
    cat >"$TMP_FILE"
    if ! [[ -f "$SYSCTL_FILE" ]] || ! cmp -s "$TMP_FILE" "$SYSCTL_FILE"; then
        install -m 0644 "$TMP_FILE" "$SYSCTL_FILE"
        echo "==> wrote $SYSCTL_FILE"
        changed=1
    fi
    if apply_keys; then changed=1; fi
    if [[ "$(sysctl -n net.ipv4.ip_forward 2>/dev/null || true)" != "1" ]]; then
        echo "ERROR: net.ipv4.ip_forward is not 1 and cannot be set; Docker networking needs it" >&2
        exit 1
    fi
    if ((changed)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
