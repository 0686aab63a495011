#!/usr/bin/env bash
# Installs what the tests and the sandbox need on a fresh Debian machine (run as root): Node.js
# when the distribution's is new enough, Debian packages and the npm workspaces. Safe to run again.
#   --fast-tests  only what the typecheck, the unit tests and the bot's tests need (no test VPS):
#                 the deploy workflow's `test` job
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/require-node.sh

fast_test_packages=(
    # template linting and ssh tests
    shellcheck openssh-server openssh-client
    # compose file validation (v1 `config -q` works without a daemon)
    docker-compose
    # the bot: real ffmpeg and real Postgres (procps: the bot tests look for ffmpeg processes)
    ffmpeg postgresql procps
    # backup and health-monitor scripts under test (curl: S3 upload and alerts; systemd:
    # systemd-analyze verify/calendar on the units; tzdata: OnCalendar time zones)
    curl systemd tzdata
)
vps_packages=(
    # the test VPS: rootfs, boot, network, local images
    debootstrap systemd-container iproute2 iptables docker.io
    # scans from outside the VPS
    nmap ssh-audit
    # the real-engine test's network namespace (unshare, nsenter)
    util-linux
)

case "${1:-}" in
    "") packages=("${fast_test_packages[@]}" "${vps_packages[@]}") ;;
    --fast-tests) packages=("${fast_test_packages[@]}") ;;
    *) echo "usage: $0 [--fast-tests]" >&2; exit 2 ;;
esac

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq --error-on=any
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
npm ci --no-audit --no-fund

# The Pulumi CLI of .pulumi.version with the Node.js language host and the dynamic-provider
# launcher, built from Go modules unless one is installed (cached outside the clone; the real-CLI
# and real-engine tests find it there).
bash toolchain/install-pulumi.sh >/dev/null
