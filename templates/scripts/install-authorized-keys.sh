#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-authorized-keys.sh.
# Adds the operator public keys given on stdin (one per line) to KEYS_FILE. Keys already there
# stay; nothing is removed, so a key that Pulumi itself logs in with is never dropped.
set -euo pipefail

# --- rendered variables ---
KEYS_FILE={{ keys_file }}
# --- end of rendered variables ---

main() {
    local wanted line type blob changed=0
    wanted="$(cat)"
    install -d -m 0700 "$(dirname "$KEYS_FILE")"
    if [[ ! -f "$KEYS_FILE" ]]; then install -m 0600 /dev/null "$KEYS_FILE"; fi
    # A file without a trailing newline would glue our first key onto its last line.
    if [[ -s "$KEYS_FILE" && "$(tail -c 1 "$KEYS_FILE" | od -An -c | tr -d ' ')" != '\n' ]]; then
        echo >>"$KEYS_FILE"
    fi
    while IFS= read -r line; do
        [[ -z "$line" ]] && continue
        read -r type blob _ <<<"$line"
        if ! grep -qF -- "$type $blob" "$KEYS_FILE"; then
            printf '%s\n' "$line" >>"$KEYS_FILE"
            echo "==> authorised ${type} key ${blob: -12}"
            changed=1
        fi
    done <<<"$wanted"
    chmod 0600 "$KEYS_FILE"
    if ((changed)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
