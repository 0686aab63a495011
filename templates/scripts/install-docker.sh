#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-docker.sh.
# Installs Docker Engine and the compose v2 plugin: from Docker's apt repository (docker-ce) or
# from the distribution (distro: docker.io plus a compose plugin package when there is one).
# Skips the install when `docker compose version` already works.
set -euo pipefail

# --- rendered variables ---
DOCKER_SOURCE={{ docker_source }}
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

has_candidate() {
    apt-cache policy "$1" 2>/dev/null | grep -qE 'Candidate: [0-9]'
}

install_docker_ce() {
    local key_file=/etc/apt/keyrings/docker.asc tmp_key id codename
    # shellcheck source=/dev/null
    id="$(. /etc/os-release && echo "$ID")"
    # shellcheck source=/dev/null
    codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
    tmp_key="$(mktemp)"
    curl -fsSL "https://download.docker.com/linux/$id/gpg" -o "$tmp_key"
    if ! gpg --show-keys --with-colons "$tmp_key" 2>/dev/null \
        | awk -F: '$1 == "fpr" { print $10 }' | grep -qx "$DOCKER_KEY_FINGERPRINT"; then
        rm -f "$tmp_key"
        echo "ERROR: Docker's apt key does not have the expected fingerprint $DOCKER_KEY_FINGERPRINT" >&2
        exit 1
    fi
    install -d -m 0755 /etc/apt/keyrings
    install -m 0644 "$tmp_key" "$key_file"
    rm -f "$tmp_key"
    printf 'deb [arch=%s signed-by=%s] https://download.docker.com/linux/%s %s stable\n' \
        "$(dpkg --print-architecture)" "$key_file" "$id" "$codename" \
        >/etc/apt/sources.list.d/docker.list
    apt_update
    apt_get install -y -q docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
}

install_distro_docker() {
    local packages=(docker.io) plugin
    apt_update
    for plugin in docker-compose-v2 docker-compose-plugin; do
        if has_candidate "$plugin"; then
            packages+=("$plugin")
            break
        fi
    done
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
        echo "ERROR: docker compose does not work after the install; with docker.source distro the distribution may lack a compose v2 plugin: use docker.source docker-ce" >&2
        exit 1
    fi
    if ((changed)); then echo CHANGED; else echo UNCHANGED; fi
}

main "$@"
