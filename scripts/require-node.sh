#!/usr/bin/env bash
# Makes sure Node.js >= 20 (with npm) is there before anything runs `npm ci`: installs it from the
# distribution when its package is new enough (Debian 13: 20.x), otherwise stops and says what to
# do (Debian 12 ships Node.js 18, which the project does not support). Run as root.
set -euo pipefail

readonly MIN_MAJOR=20

major_of() {
    sed -E 's/^v?([0-9]+).*/\1/' <<<"$1"
}

installed_major() {
    command -v node >/dev/null && command -v npm >/dev/null || return 1
    major_of "$(node --version)"
}

candidate_major() {
    local candidate
    candidate="$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2; exit }')"
    [[ -n "$candidate" && "$candidate" != "(none)" ]] || return 1
    major_of "${candidate#*:}"
}

main() {
    local major
    if major="$(installed_major)" && ((major >= MIN_MAJOR)); then
        return 0
    fi
    apt-get update -qq
    if major="$(candidate_major)" && ((major >= MIN_MAJOR)); then
        echo "==> installing Node.js $major and npm from the distribution"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
        return 0
    fi
    echo "ERROR: Node.js $MIN_MAJOR or newer (with npm) is needed; this machine has" \
        "$(command -v node >/dev/null && node --version || echo none), and its distribution offers" \
        "${major:-no nodejs package} (Debian 12 ships 18). Install Node.js 22 LTS first (for example" \
        "with nvm, or the Node.js project's Debian packages), then run this again." >&2
    exit 1
}

main "$@"
