#!/usr/bin/env bash
# Installs what the tests and the sandbox need on a fresh Debian 12 machine (run as root):
# Debian packages and the npm workspaces. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    # template linting and ssh tests
    shellcheck openssh-server openssh-client ssh-audit
    # compose file validation (v1 `config -q` works without a daemon)
    docker-compose
    # the test VPS: rootfs, boot, network, local images
    debootstrap systemd-container iproute2 iptables docker.io
    # the bot: real ffmpeg and real Postgres (procps: the bot tests look for ffmpeg processes)
    ffmpeg postgresql procps
    # scans from outside the VPS
    nmap
    # backup and health-monitor scripts under test (curl: S3 upload and alerts; systemd:
    # systemd-analyze verify/calendar on the units; tzdata: OnCalendar time zones)
    curl systemd tzdata
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq --error-on=any
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
npm ci --no-audit --no-fund

# The Pulumi CLI of .pulumi.version, built from its Go module unless one is installed (cached
# outside the clone; the real-CLI tests find it there).
bash toolchain/install-pulumi.sh >/dev/null
