#!/usr/bin/env bash
# `npm run sandbox`: try the tool without a server. Installs what it needs on a fresh Debian 12
# machine (scripts/install-deps.sh) when something is missing, then boots the test VPS, provisions
# it with the real plan and keeps it up until Ctrl-C. Needs root (network namespaces, nspawn).
# Options: --release trixie|bookworm (Debian 13, the default, or 12), --ssh-service (sshd as a
# classic ssh.service instead of ssh.socket as on Ubuntu 24.04), --cleanup (remove test
# VPSes left behind by killed runs).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ "$(id -u)" != 0 ]]; then
    echo "ERROR: the sandbox needs root (network namespaces, systemd-nspawn): sudo npm run sandbox" >&2
    exit 1
fi

needs_install() {
    local tool
    for tool in debootstrap systemd-nspawn docker-compose nmap ssh-audit ssh-keygen iptables; do
        command -v "$tool" >/dev/null || return 0
    done
    [[ ! -x node_modules/.bin/tsx ]]
}

if needs_install; then
    echo "==> installing the dependencies (scripts/install-deps.sh)"
    bash scripts/install-deps.sh
fi
exec node_modules/.bin/tsx test/vps/sandbox.ts "$@"
