#!/usr/bin/env bash
# Installs what the tests and the sandbox need on a fresh Debian machine (run as root):
# Node.js when the distribution's is new enough, Debian packages and the npm workspaces. Safe to
# run again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/require-node.sh

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

# The command provider's SSH client for the SSH tests (test/ssh-clients/command-provider).
mkdir -p build/ssh-clients
(cd test/ssh-clients/command-provider && go build -mod=readonly -o ../../../build/ssh-clients/command-provider .)
