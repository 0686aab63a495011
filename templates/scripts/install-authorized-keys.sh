#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-authorized-keys.sh.
# Makes the operator public keys on stdin (operatorKeys, one per line) the content of a managed
# block in KEYS_FILE. Lines outside the block (the provider's key, hand-added keys) stay, except
# copies of managed keys, which move into the block. A key dropped from operatorKeys is removed,
# but never the key this SSH session logged in with (sshd's ExposeAuthInfo names it), and never
# the last managed key: a rotation cannot lock anyone out.
set -euo pipefail

# --- rendered variables ---
KEYS_FILE={{ keys_file }}
# --- end of rendered variables ---

BEGIN_MARK="# BEGIN telegram-ecosystem operator keys (managed by Pulumi: operatorKeys)"
END_MARK="# END telegram-ecosystem operator keys"
KEY_PATTERN='(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=*'
TMP_FILE=""

cleanup() {
    if [[ -n "$TMP_FILE" ]]; then rm -f "$TMP_FILE"; fi
}

fail() {
    echo "ERROR: $*" >&2
    exit 1
}

# "type base64" of the first key on a line (options such as from="..." come before it).
key_of() {
    { grep -oE -- "(^|[[:space:]])$KEY_PATTERN" <<<"$1" || true; } | head -n 1 | sed -E 's/^[[:space:]]+//'
}

# "type SHA256:..." for messages (the last characters of the key if ssh-keygen is missing).
describe_key() {
    local fp
    fp="$(ssh-keygen -lf - <<<"$1" 2>/dev/null | awk '{ print $2 }' || true)"
    echo "${1%% *} ${fp:-...${1: -12}}"
}

contains() {
    local needle="$1" item
    shift
    for item in "$@"; do [[ "$item" == "$needle" ]] && return 0; done
    return 1
}

# The keys this SSH session authenticated with, one per line. Fails when it runs over SSH but
# sshd does not say which key (ExposeAuthInfo off): then no key may be removed.
session_keys() {
    [[ -n "${SSH_CONNECTION:-}" ]] || return 0
    if [[ -z "${SSH_USER_AUTH:-}" || ! -r "${SSH_USER_AUTH}" ]]; then
        return 1
    fi
    local line
    while IFS= read -r line; do
        if [[ "$line" == "publickey "* ]]; then key_of "$line"; fi
    done <"$SSH_USER_AUTH"
}

main() {
    local line key in_block=0 has_block=0 session
    local wanted=() wanted_lines=() managed=() outside=() removed=() current=()
    trap cleanup EXIT
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "${line//[[:space:]]/}" ]] && continue
        key="$(key_of "$line")"
        [[ -n "$key" ]] || fail "operatorKeys holds a line that is not an SSH public key: ${line:0:40}"
        wanted+=("$key")
        wanted_lines+=("$line")
    done

    install -d -m 0700 "$(dirname "$KEYS_FILE")"
    if [[ -f "$KEYS_FILE" ]]; then
        while IFS= read -r line || [[ -n "$line" ]]; do
            if [[ "$line" == "$BEGIN_MARK" ]]; then in_block=1; has_block=1; continue; fi
            if [[ "$line" == "$END_MARK" ]]; then in_block=0; continue; fi
            key="$(key_of "$line")"
            if ((in_block)); then
                if [[ -n "$key" ]]; then managed+=("$key"); fi
            else
                outside+=("$line")
            fi
        done <"$KEYS_FILE"
        ((in_block == 0)) || fail "$KEYS_FILE has '$BEGIN_MARK' without '$END_MARK'; repair the file by hand (keep your key) and apply again"
    fi

    if ((${#wanted[@]} == 0)); then
        if ((has_block)); then
            fail "refusing to remove every operator key from $KEYS_FILE: nobody could log in; keep at least one key in operatorKeys"
        fi
        echo "==> operatorKeys is empty: $KEYS_FILE is left as it is"
        echo UNCHANGED
        return
    fi

    for key in "${managed[@]}"; do
        contains "$key" "${wanted[@]}" || removed+=("$key")
    done
    if ((${#removed[@]} > 0)); then
        if ! session="$(session_keys)"; then
            fail "refusing to remove operator keys: sshd does not tell which key this session logged in with (ExposeAuthInfo is set by the sshd-hardening step); apply once without removing a key, then remove it"
        fi
        mapfile -t current <<<"$session"
        for key in "${removed[@]}"; do
            if contains "$key" "${current[@]}"; then
                fail "refusing to remove $(describe_key "$key") from operatorKeys: this very connection logged in with it, so the next one could not. Switch the connection to the new key first (pulumi config set --secret sshPrivateKey < new_key), then apply again"
            fi
        done
    fi

    TMP_FILE="$(mktemp "$(dirname "$KEYS_FILE")/.authorized_keys.XXXXXX")"
    {
        for line in "${outside[@]}"; do
            key="$(key_of "$line")"
            # Copies of managed keys outside the block move into it, or go when removed.
            if [[ -n "$key" ]] && { contains "$key" "${wanted[@]}" || contains "$key" "${managed[@]}"; }; then
                continue
            fi
            printf '%s\n' "$line"
        done
        printf '%s\n' "$BEGIN_MARK" "${wanted_lines[@]}" "$END_MARK"
    } >"$TMP_FILE"
    chmod 0600 "$TMP_FILE"
    if [[ -f "$KEYS_FILE" ]] && cmp -s "$TMP_FILE" "$KEYS_FILE"; then
        chmod 0600 "$KEYS_FILE"
        echo "==> $KEYS_FILE holds exactly the operator keys"
        echo UNCHANGED
        return
    fi
    for key in "${wanted[@]}"; do
        contains "$key" "${managed[@]}" || echo "==> authorised $(describe_key "$key")"
    done
    for key in "${removed[@]}"; do echo "==> removed $(describe_key "$key")"; done
    mv -f "$TMP_FILE" "$KEYS_FILE"
    TMP_FILE=""
    echo CHANGED
}

main "$@"
