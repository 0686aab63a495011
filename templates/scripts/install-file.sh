#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-file.sh.
# Installs the file given on stdin at TARGET (atomically, created 0600 before its final mode).
set -euo pipefail

# --- rendered variables ---
TARGET={{ target }}
MODE={{ mode }}
OWNER={{ owner }}
# --- end of rendered variables ---

TMP_FILE=""

cleanup() {
    if [[ -n "$TMP_FILE" ]]; then rm -f "$TMP_FILE"; fi
}

main() {
    umask 077
    trap cleanup EXIT
    local dir
    dir="$(dirname "$TARGET")"
    if [[ ! -d "$dir" ]]; then install -d -m 0755 "$dir"; fi
    TMP_FILE="$(mktemp "$dir/.pulumi-tmp.XXXXXX")"
    cat >"$TMP_FILE"
    if [[ -f "$TARGET" ]] && cmp -s "$TMP_FILE" "$TARGET" \
        && [[ "$(stat -c '%a %U:%G' "$TARGET")" == "$MODE $OWNER" ]]; then
        echo "==> $TARGET is up to date"
        echo UNCHANGED
        return
    fi
    chown "$OWNER" "$TMP_FILE"
    chmod "$MODE" "$TMP_FILE"
    mv -f "$TMP_FILE" "$TARGET"
    TMP_FILE=""
    echo "==> wrote $TARGET (mode $MODE, owner $OWNER)"
    echo CHANGED
}

main "$@"
