#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/prepare-stack-dirs.sh.
# Creates the stack directory layout: env/ (0700, secrets), postgres/init/, one media dir per bot
# owned by the bots' uid:gid (they run as MEDIA_OWNER inside their containers), and an empty env
# file per bot where none exists yet.
set -euo pipefail

# --- rendered variables ---
STACK_DIR={{ stack_dir }}
BOT_NAMES={{ bot_names }}
MEDIA_OWNER={{ media_owner }}
# --- end of rendered variables ---

CHANGED_ANY=0

ensure_dir() {
    local dir="$1" mode="$2" owner="$3"
    if [[ -d "$dir" && "$(stat -c '%a %u:%g' "$dir")" == "$mode $owner" ]]; then return 0; fi
    install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$dir"
    chmod "$mode" "$dir"
    chown "$owner" "$dir"
    echo "==> $dir ($mode, $owner)"
    CHANGED_ANY=1
}

# Compose reads every service's env file even to start postgres alone, but the bots' env files
# are written only after the Postgres password step (a rotated password reaches the bots last):
# on a new host each starts out empty. An existing file is never touched.
ensure_env_file() {
    local file="$STACK_DIR/env/$1.env"
    [[ -e "$file" ]] && return 0
    install -m 0600 -o 0 -g 0 /dev/null "$file"
    echo "==> $file (empty until its step writes it)"
    CHANGED_ANY=1
}

main() {
    local bot
    ensure_dir "$STACK_DIR" 755 0:0
    ensure_dir "$STACK_DIR/env" 700 0:0
    ensure_dir "$STACK_DIR/postgres" 755 0:0
    ensure_dir "$STACK_DIR/postgres/init" 755 0:0
    ensure_dir "$STACK_DIR/media" 755 0:0
    for bot in $BOT_NAMES; do
        ensure_dir "$STACK_DIR/media/$bot" 755 "$MEDIA_OWNER"
        ensure_env_file "$bot"
    done
    if ((CHANGED_ANY)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
