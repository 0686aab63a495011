#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/harden-sshd.sh.
# Installs the sshd hardening drop-in from stdin, validates it with `sshd -t`, applies it (ssh.socket
# or ssh.service), proves that a fresh key login still works and rolls the drop-in back when
# anything fails. Refuses to turn passwords off while no SSH key is authorised (no lock-out).
set -euo pipefail

# --- rendered variables ---
DROP_IN={{ drop_in }}
KEYS_FILE={{ keys_file }}
# --- end of rendered variables ---

PROBE_COMMENT="telegram-ecosystem-sshd-login-probe"
SOCKET_DROP_IN="00-telegram-ecosystem-listen.conf"
WORK_DIR=""
BACKUP=""

cleanup() {
    remove_probe_key
    if [[ -n "$WORK_DIR" ]]; then rm -rf "$WORK_DIR"; fi
}

fail() {
    echo "ERROR: $*" >&2
    return 1
}

remove_probe_key() {
    [[ -f "$KEYS_FILE" ]] && grep -qF -- "$PROBE_COMMENT" "$KEYS_FILE" || return 0
    local kept
    kept="$(grep -vF -- "$PROBE_COMMENT" "$KEYS_FILE" || true)"
    if [[ -n "$kept" ]]; then printf '%s\n' "$kept" >"$KEYS_FILE"; else : >"$KEYS_FILE"; fi
}

require_authorised_key() {
    local count=0
    if [[ -f "$KEYS_FILE" ]]; then
        count="$(grep -cE '(^|[ ,])(ssh-ed25519|ssh-rsa|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+' "$KEYS_FILE" || true)"
    fi
    if ((count == 0)); then
        fail "refusing to disable password login: no SSH key is authorised in $KEYS_FILE and operatorKeys is empty; add one: pulumi config set --path 'operatorKeys[0]' \"\$(cat ~/.ssh/id_ed25519.pub)\""
    fi
}

uses_ssh_socket() {
    systemctl is-active --quiet ssh.socket 2>/dev/null || systemctl is-enabled --quiet ssh.socket 2>/dev/null
}

# sshd's effective config. Read whole, never piped into `grep -q` or an early `exit` in awk:
# under pipefail, sshd dying of SIGPIPE would read as a failed check.
effective_config() {
    sshd -T 2>/dev/null
}

# With socket activation ssh.socket owns the listening socket and sshd ignores Port, so the socket
# gets the configured listeners from a drop-in: the port alone (dual-stack, as the stock
# ListenStream=22) unless ListenAddress names specific addresses. Ubuntu 24.04's generator, where
# present, writes its own drop-in from sshd_config, which sorts after this one and wins.
write_socket_listeners() {
    local dir=/etc/systemd/system/ssh.socket.d addresses specific address
    addresses="$(effective_config | awk '$1 == "listenaddress" { print $2 }')"
    specific="$(grep -vE '^(0\.0\.0\.0|\[::\]):[0-9]+$' <<<"$addresses" || true)"
    install -d -m 0755 "$dir"
    {
        echo "# Managed by Pulumi (harden-sshd.sh): ssh.socket listens where sshd_config says."
        echo "[Socket]"
        echo "ListenStream="
        if [[ -n "$specific" ]]; then
            for address in $addresses; do echo "ListenStream=$address"; done
            echo "BindIPv6Only=ipv6-only"
        else
            awk -F: '{ print $NF }' <<<"$addresses" | sort -un | sed 's/^/ListenStream=/'
        fi
    } >"$dir/$SOCKET_DROP_IN"
}

# Ubuntu 24.04 starts sshd from ssh.socket (Debian 13 can too). systemd refuses to restart the
# socket while the ssh.service it started runs, so that service stops first; its KillMode=process
# ends the listener only, never the open sessions (this one included).
restart_sshd() {
    if uses_ssh_socket; then
        write_socket_listeners
        systemctl daemon-reload
        local service_was_active=0
        if systemctl is-active --quiet ssh.service; then
            service_was_active=1
            systemctl stop ssh.service
        fi
        systemctl restart ssh.socket
        # With Accept=no the socket hands its listener to ssh.service; with Accept=yes (one sshd
        # per connection) no ssh.service runs.
        if ((service_was_active)); then systemctl start ssh.service; fi
    elif systemctl cat ssh.service >/dev/null 2>&1; then
        systemctl restart ssh.service
    else
        systemctl restart sshd.service
    fi
}

# Not a real client: a stand-in address from the internet (TEST-NET-2), so that `sshd -T -C`
# applies the Match blocks an outside connection gets. Plain `sshd -T` ignores Match blocks, and
# the login probe below connects from 127.0.0.1, so neither sees a `Match Address` block (from
# cloud-init or a provider image) that turns passwords back on for outside addresses.
OUTSIDE_ADDRESS="198.51.100.7"

listen_port() {
    effective_config | awk '$1 == "port" && !found { print $2; found = 1 }'
}

effective_for_outside() {
    sshd -T -C "user=root,host=internet.example,addr=$OUTSIDE_ADDRESS,lport=$(listen_port)" 2>/dev/null
}

check_effective_config() {
    local global outside setting
    global="$(effective_config)" || { fail "sshd -T failed"; return 1; }
    outside="$(effective_for_outside)" \
        || { fail "sshd -T -C for a connection from $OUTSIDE_ADDRESS failed"; return 1; }
    for setting in "passwordauthentication no" "kbdinteractiveauthentication no" \
        "permitemptypasswords no" "authenticationmethods publickey"; do
        grep -qix -- "$setting" <<<"$global" \
            || { fail "'$setting' is not in the effective config (another file sets it first?)"; return 1; }
        grep -qix -- "$setting" <<<"$outside" \
            || { fail "'$setting' is not in effect for a connection from the internet: a Match block in /etc/ssh/sshd_config or /etc/ssh/sshd_config.d/ overrides it (check: sshd -T -C user=root,host=internet.example,addr=$OUTSIDE_ADDRESS)"; return 1; }
    done
    grep -qiE '^subsystem sftp ' <<<"$global" \
        || { fail "no 'Subsystem sftp' in the effective config; SFTP uploads would break"; return 1; }
}

probe_login() {
    local port attempt
    port="$(listen_port)"
    ssh-keygen -q -t ed25519 -N '' -C "$PROBE_COMMENT" -f "$WORK_DIR/probe"
    printf 'from="127.0.0.1,::1",restrict %s\n' "$(cat "$WORK_DIR/probe.pub")" >>"$KEYS_FILE"
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if ssh -i "$WORK_DIR/probe" -p "${port:-22}" -o BatchMode=yes -o IdentitiesOnly=yes \
            -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 \
            -o LogLevel=ERROR root@127.0.0.1 true; then
            remove_probe_key
            echo "==> a fresh key login on port ${port:-22} works"
            return 0
        fi
        echo "==> login probe $attempt failed; retrying"
        sleep 1
    done
    remove_probe_key
    fail "a fresh SSH key login to 127.0.0.1:${port:-22} fails with the new sshd config"
}

apply_and_verify() {
    local output
    if ! output="$(sshd -t 2>&1)"; then
        fail "sshd -t rejected the new config: $output"
        return 1
    fi
    check_effective_config || return 1
    restart_sshd || { fail "restarting sshd failed; see journalctl -u ssh"; return 1; }
    probe_login || return 1
}

rollback() {
    if [[ -n "$BACKUP" ]]; then cp -p "$BACKUP" "$DROP_IN"; else rm -f "$DROP_IN"; fi
    if sshd -t && restart_sshd; then
        echo "ERROR: rolled back $DROP_IN to its previous state and restarted sshd" >&2
    else
        echo "ERROR: rolled back $DROP_IN but sshd still does not accept its config; check it from the Timeweb console" >&2
    fi
}

main() {
    WORK_DIR="$(mktemp -d)"
    trap cleanup EXIT
    cat >"$WORK_DIR/drop-in.conf"
    if [[ -f "$DROP_IN" ]] && cmp -s "$WORK_DIR/drop-in.conf" "$DROP_IN"; then
        echo "==> $DROP_IN is up to date"
        echo UNCHANGED
        return
    fi
    require_authorised_key
    if ! grep -qiE '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
        fail "/etc/ssh/sshd_config does not include /etc/ssh/sshd_config.d/*.conf; the drop-in would be ignored"
    fi
    # sshd -t needs the privilege separation directory, which a socket-activated host may lack.
    install -d -m 0755 /run/sshd "$(dirname "$DROP_IN")"
    if [[ -f "$DROP_IN" ]]; then
        BACKUP="$WORK_DIR/previous.conf"
        cp -p "$DROP_IN" "$BACKUP"
    fi
    install -m 0644 "$WORK_DIR/drop-in.conf" "$DROP_IN"
    if ! apply_and_verify; then
        rollback
        exit 1
    fi
    echo "==> sshd hardened with $DROP_IN"
    echo CHANGED
}

main "$@"
