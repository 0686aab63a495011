#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/configure-docker-daemon.sh.
# Installs daemon.json from stdin and restarts Docker only when the file changed; restores the
# previous file when Docker does not come back with the new one. live-restore keeps containers
# running across the restart.
set -euo pipefail

# --- rendered variables ---
DAEMON_JSON={{ daemon_json }}
# --- end of rendered variables ---

WORK_DIR=""

cleanup() {
    if [[ -n "$WORK_DIR" ]]; then rm -rf "$WORK_DIR"; fi
}

docker_up() {
    local attempt
    for attempt in $(seq 1 30); do
        if docker info >/dev/null 2>&1; then return 0; fi
        [[ "$attempt" == 30 ]] || sleep 1
    done
    return 1
}

validate() {
    # dockerd --validate exists from Docker 23; older daemons are checked by starting them.
    if dockerd --help 2>&1 | grep -q -- '--validate'; then
        dockerd --validate --config-file "$1"
    fi
}

restore() {
    if [[ -f "$WORK_DIR/previous.json" ]]; then
        cp -p "$WORK_DIR/previous.json" "$DAEMON_JSON"
    else
        rm -f "$DAEMON_JSON"
    fi
    systemctl restart docker || true
}

main() {
    WORK_DIR="$(mktemp -d)"
    trap cleanup EXIT
    cat >"$WORK_DIR/daemon.json"
    if [[ -f "$DAEMON_JSON" ]] && cmp -s "$WORK_DIR/daemon.json" "$DAEMON_JSON"; then
        if ! systemctl is-active --quiet docker; then systemctl start docker; fi
        echo "==> $DAEMON_JSON is up to date"
        echo UNCHANGED
        return
    fi
    if ! validate "$WORK_DIR/daemon.json"; then
        echo "ERROR: dockerd rejected the new daemon.json; nothing was changed" >&2
        exit 1
    fi
    if [[ -f "$DAEMON_JSON" ]]; then cp -p "$DAEMON_JSON" "$WORK_DIR/previous.json"; fi
    install -D -m 0644 "$WORK_DIR/daemon.json" "$DAEMON_JSON"
    if ! systemctl restart docker || ! docker_up; then
        restore
        echo "ERROR: docker did not start with the new daemon.json; restored the previous file (see journalctl -u docker)" >&2
        exit 1
    fi
    echo "==> wrote $DAEMON_JSON and restarted docker"
    echo CHANGED
}

main "$@"
