#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-operations-secrets.sh.
#
# Writes the secret settings of the backups and the health monitor, root-only (0600):
# stdin line 1 = base64 of the off-site (S3) env file, line 2 = base64 of the alert env file.
# An empty line removes that file, which turns the feature off. The content never appears in the
# command line or the output. Prints CHANGED or UNCHANGED as its last line.
set -euo pipefail

# --- rendered variables ---
readonly OFFSITE_ENV_FILE={{ offsite_env_file }}
readonly ALERT_ENV_FILE={{ alert_env_file }}
# --- end of rendered variables ---

changed=false

write_secret_file() {
    local path="$1" data="$2" tmp
    if [[ -z "$data" ]]; then
        if [[ -e "$path" ]]; then
            rm -f -- "$path"
            echo "==> removed $path"
            changed=true
        fi
        return 0
    fi
    install -d -m 0700 "$(dirname "$path")"
    tmp="$(mktemp "$path.XXXXXX")"
    printf '%s' "$data" | base64 -d >"$tmp"
    if [[ -f "$path" && "$(stat -c %a "$path")" == 600 ]] && cmp -s "$tmp" "$path"; then
        rm -f -- "$tmp"
        return 0
    fi
    mv -f -- "$tmp" "$path"
    echo "==> wrote $path (mode 0600)"
    changed=true
}

main() {
    umask 077
    local offsite="" alert=""
    IFS= read -r offsite || true
    IFS= read -r alert || true
    write_secret_file "$OFFSITE_ENV_FILE" "$offsite"
    write_secret_file "$ALERT_ENV_FILE" "$alert"
    if [[ "$changed" == true ]]; then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
