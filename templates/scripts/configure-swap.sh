#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/configure-swap.sh.
# Keeps one swap file of SWAP_SIZE active and in /etc/fstab (a 2 GB box needs the headroom).
set -euo pipefail

# --- rendered variables ---
SWAP_SIZE={{ swap_size }}
SWAP_FILE={{ swap_file }}
# --- end of rendered variables ---

to_bytes() {
    local number="${1%[MG]}"
    case "$1" in
        *G) echo $((number * 1024 * 1024 * 1024)) ;;
        *M) echo $((number * 1024 * 1024)) ;;
        *) echo "ERROR: swap size $1 must end in M or G" >&2; exit 1 ;;
    esac
}

swap_active() {
    swapon --show=NAME --noheadings 2>/dev/null | grep -qxF "$SWAP_FILE"
}

in_fstab() {
    awk -v file="$SWAP_FILE" '$1 == file && $3 == "swap" { found = 1 } END { exit !found }' /etc/fstab
}

create_swap_file() {
    local bytes="$1"
    if swap_active; then swapoff "$SWAP_FILE"; fi
    rm -f "$SWAP_FILE"
    if ! fallocate -l "$bytes" "$SWAP_FILE" 2>/dev/null; then
        dd if=/dev/zero of="$SWAP_FILE" bs=1M count=$((bytes / 1024 / 1024)) status=none
    fi
    chmod 0600 "$SWAP_FILE"
    mkswap "$SWAP_FILE" >/dev/null
}

main() {
    if [[ "$SWAP_SIZE" == "0" ]]; then
        echo "==> swapSize is 0: leaving swap alone"
        echo UNCHANGED
        return
    fi
    if systemd-detect-virt --container --quiet 2>/dev/null; then
        echo "SKIP: swap cannot be managed inside a container ($(systemd-detect-virt --container)); the host's swap applies"
        echo UNCHANGED
        return
    fi
    local bytes changed=0
    bytes="$(to_bytes "$SWAP_SIZE")"
    if [[ ! -f "$SWAP_FILE" || "$(stat -c %s "$SWAP_FILE")" != "$bytes" ]]; then
        echo "==> creating $SWAP_FILE ($SWAP_SIZE)"
        create_swap_file "$bytes"
        changed=1
    fi
    if ! swap_active; then
        swapon "$SWAP_FILE"
        changed=1
    fi
    if ! in_fstab; then
        printf '%s none swap sw 0 0\n' "$SWAP_FILE" >>/etc/fstab
        changed=1
    fi
    if ((changed)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
