#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-docker.sh.
# Installs Docker Engine with the Compose v2 plugin and buildx: from the distribution (distro:
# docker.io and the distribution's compose v2 and buildx packages, which unattended-upgrades
# patches with the rest of the system) or from Docker's apt repository (docker-ce, at the
# configured URL, its key checked against a pinned fingerprint).
# Skips the install when `docker compose version` already works.
set -euo pipefail

# --- rendered variables ---
DOCKER_SOURCE={{ docker_source }}
DOCKER_APT_REPOSITORY={{ docker_apt_repository }}
DOCKER_KEY_FINGERPRINT={{ docker_key_fingerprint }}
# --- end of rendered variables ---

apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"
}

apt_update() {
    # --error-on=any: a plain update exits 0 even when every mirror is unreachable.
    apt_get update -q --error-on=any || {
        echo "ERROR: apt-get update failed; check the server's network and apt sources" >&2
        exit 1
    }
}

docker_works() {
    command -v docker >/dev/null && docker compose version >/dev/null 2>&1
}

# The version apt would install, empty when no source offers the package.
candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

install_docker_ce() {
    local key_file=/etc/apt/keyrings/docker.asc tmp_key codename
    # shellcheck source=/dev/null
    codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
    tmp_key="$(mktemp)"
    curl -fsSL "$DOCKER_APT_REPOSITORY/gpg" -o "$tmp_key"
    if ! gpg --show-keys --with-colons "$tmp_key" 2>/dev/null \
        | awk -F: '$1 == "fpr" { print $10 }' | grep -qx "$DOCKER_KEY_FINGERPRINT"; then
        rm -f "$tmp_key"
        echo "ERROR: the key at $DOCKER_APT_REPOSITORY/gpg does not have Docker's fingerprint $DOCKER_KEY_FINGERPRINT; check docker.aptRepository" >&2
        exit 1
    fi
    install -d -m 0755 /etc/apt/keyrings
    install -m 0644 "$tmp_key" "$key_file"
    rm -f "$tmp_key"
    printf 'deb [arch=%s signed-by=%s] %s %s stable\n' \
        "$(dpkg --print-architecture)" "$key_file" "$DOCKER_APT_REPOSITORY" "$codename" \
        >/etc/apt/sources.list.d/docker.list
    apt_update
    apt_get install -y -q docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
}

install_distro_docker() {
    local packages=(docker.io)
    apt_update
    # Debian 13 ships the docker CLI apart from the engine (only a Recommends of docker.io).
    if [[ -n "$(candidate docker-cli)" ]]; then packages+=(docker-cli); fi
    # The Compose v2 CLI plugin: docker-compose-v2 on Ubuntu, docker-compose 2.x on Debian 13.
    # (Debian 12's docker-compose is v1, a separate program and no plugin: not taken.)
    if [[ -n "$(candidate docker-compose-v2)" ]]; then
        packages+=(docker-compose-v2)
    elif [[ "$(candidate docker-compose)" =~ ^([0-9]+:)?[2-9] ]]; then
        packages+=(docker-compose)
    fi
    # buildx runs `docker build` on BuildKit (Ubuntu and Debian 13 package it as docker-buildx).
    if [[ -n "$(candidate docker-buildx)" ]]; then packages+=(docker-buildx); fi
    echo "==> installing ${packages[*]}"
    apt_get install -y -q --no-install-recommends "${packages[@]}"
}

main() {
    local changed=0
    if docker_works; then
        echo "==> docker and docker compose already work: $(docker --version)"
    else
        case "$DOCKER_SOURCE" in
            docker-ce) install_docker_ce ;;
            distro) install_distro_docker ;;
            *) echo "ERROR: unknown docker source $DOCKER_SOURCE (docker-ce or distro)" >&2; exit 1 ;;
        esac
        changed=1
    fi
    if ! systemctl is-enabled --quiet docker || ! systemctl is-active --quiet docker; then
        systemctl enable --now docker
        changed=1
    fi
    if ! docker_works; then
        echo "ERROR: docker compose does not work after the install; with docker.source distro the distribution may lack a Compose v2 package (Debian 12 has none): use docker.source docker-ce" >&2
        exit 1
    fi
    if ((changed)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
