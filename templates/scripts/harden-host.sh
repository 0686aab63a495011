#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/harden-host.sh.
# OS hardening beyond sshd and the firewall (the rest of what Lynis checks that keeps Docker
# working): password rules for local accounts, process accounting and sysstat on, cron and sshd
# config readable by root only, the assembler (a compiler, pulled in by needrestart) for root only,
# debsums checking the installed packages weekly, martian packets logged also after ufw loads its
# sysctl file, and fail2ban reloaded when its jail file (a separate step) changed.
set -euo pipefail

# --- rendered variables ---
FAIL2BAN_JAIL={{ fail2ban_jail }}
STATE_DIR={{ state_dir }}
# --- end of rendered variables ---

CHANGED=0

note() {
    echo "==> $*"
    CHANGED=1
}

# Sets KEY to VALUE in /etc/login.defs (replacing a commented or different line).
login_defs() {
    local key="$1" value="$2" file=/etc/login.defs
    if grep -qE "^${key}[[:space:]]+${value}$" "$file"; then return; fi
    if grep -qE "^#?[[:space:]]*${key}[[:space:]]" "$file"; then
        sed -i -E "s|^#?[[:space:]]*${key}[[:space:]].*|${key} ${value}|" "$file"
    else
        printf '%s %s\n' "$key" "$value" >>"$file"
    fi
    note "login.defs: $key $value"
}

ensure_mode() {
    local mode="$1" path
    shift
    for path in "$@"; do
        [[ -e "$path" ]] || continue
        if [[ "$(stat -c '%a' "$path")" != "$mode" ]]; then
            chmod "$mode" "$path"
            note "mode $mode on $path"
        fi
    done
}

enable_service() {
    if ! systemctl is-enabled --quiet "$1" 2>/dev/null || ! systemctl is-active --quiet "$1"; then
        systemctl enable --now "$1" >/dev/null 2>&1 || {
            echo "ERROR: could not start $1; see journalctl -u $1" >&2
            exit 1
        }
        note "$1 enabled and running"
    fi
}

harden_accounts() {
    # Local passwords (the provider's root password, console only) age and hash slowly.
    login_defs PASS_MAX_DAYS 365
    login_defs PASS_MIN_DAYS 1
    login_defs SHA_CRYPT_MIN_ROUNDS 65536
    login_defs SHA_CRYPT_MAX_ROUNDS 65536
}

harden_permissions() {
    ensure_mode 600 /etc/crontab /etc/ssh/sshd_config
    ensure_mode 700 /etc/cron.d /etc/cron.daily /etc/cron.hourly /etc/cron.weekly /etc/cron.monthly
    local assembler
    for assembler in /usr/bin/*-linux-gnu-as; do
        [[ -e "$assembler" ]] || continue
        if ! dpkg-statoverride --list "$assembler" >/dev/null; then
            dpkg-statoverride --update --add root root 0750 "$assembler"
            note "compiler $assembler is root-only"
        fi
    done
}

enable_accounting() {
    if grep -q '^ENABLED="false"' /etc/default/sysstat 2>/dev/null; then
        sed -i 's/^ENABLED="false"/ENABLED="true"/' /etc/default/sysstat
        note "sysstat collection on"
    fi
    enable_service sysstat
    enable_service acct
}

# debsums (from the hardening packages) verifies installed files against the packages'
# checksums; its own cron jobs run it only when CRON_CHECK asks for it.
enable_debsums_check() {
    local file=/etc/default/debsums
    [[ -f "$file" ]] || return 0
    grep -qx 'CRON_CHECK=weekly' "$file" && return 0
    if grep -q '^CRON_CHECK=' "$file"; then
        sed -i 's/^CRON_CHECK=.*/CRON_CHECK=weekly/' "$file"
    else
        echo 'CRON_CHECK=weekly' >>"$file"
    fi
    note "debsums checks the installed packages weekly"
}

# ufw applies /etc/ufw/sysctl.conf when it starts, and its default turns martian logging off.
log_martians() {
    local file=/etc/ufw/sysctl.conf key
    [[ -f "$file" ]] || return 0
    if grep -qE '^net/ipv4/conf/(all|default)/log_martians=0$' "$file"; then
        sed -i -E 's#^(net/ipv4/conf/(all|default)/log_martians)=0$#\1=1#' "$file"
        note "ufw keeps logging martian packets"
    fi
    for key in net.ipv4.conf.all.log_martians net.ipv4.conf.default.log_martians; do
        if [[ "$(sysctl -n "$key" 2>/dev/null || true)" != 1 ]]; then
            sysctl -q -w "$key=1" >/dev/null 2>&1 || echo "WARNING: cannot set $key here"
        fi
    done
}

reload_fail2ban() {
    local marker="$STATE_DIR/fail2ban-jail.sha256" sum
    sum="$(sha256sum "$FAIL2BAN_JAIL" | cut -d' ' -f1)"
    enable_service fail2ban
    if [[ "$(cat "$marker" 2>/dev/null || true)" != "$sum" ]]; then
        fail2ban-client reload >/dev/null
        install -d -m 0700 "$STATE_DIR"
        printf '%s\n' "$sum" >"$marker"
        note "fail2ban reloaded with $FAIL2BAN_JAIL"
    fi
    if ! fail2ban-client status sshd >/dev/null 2>&1; then
        echo "ERROR: fail2ban has no sshd jail; check $FAIL2BAN_JAIL and journalctl -u fail2ban" >&2
        exit 1
    fi
}

main() {
    harden_accounts
    harden_permissions
    enable_accounting
    enable_debsums_check
    log_martians
    reload_fail2ban
    if ((CHANGED)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
