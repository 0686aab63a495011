#!/usr/bin/env bash
# Builds (once) the Debian bookworm root file systems of the test VPS and of its local base images,
# cached in build/vps/rootfs-<key>/, where <key> hashes rootfs-packages.txt and this script.
# Prints the cache directory on stdout. Needs root, debootstrap and the Debian mirror.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
readonly here repo
readonly suite="bookworm"

log() { echo "==> $*" >&2; }

# Every repository URI in this machine's own apt sources (Deb822 `URIs:` and one-line `deb`).
apt_source_uris() {
    {
        sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
        sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
    } | tr ' ' '\n' | sed '/^$/d'
}

# The test VPS uses the Debian mirrors this machine's apt already uses: no host is named here.
mirror="$(apt_source_uris | grep -Ev -- '-security/?$' | grep -Em1 '/debian/?$' || true)"
security_mirror="$(apt_source_uris | grep -Em1 -- '/debian-security/?$' || true)"
if [[ -z "$mirror" || -z "$security_mirror" ]]; then
    echo "no Debian mirror (…/debian and …/debian-security) in this machine's apt sources" >&2
    exit 1
fi
readonly mirror security_mirror

packages_of() {
    sed -n "s/^$1: *//p" "$here/rootfs-packages.txt"
}

cache_key() {
    cat "$here/rootfs-packages.txt" "$here/build-rootfs.sh" "$here/rootfs-files/"* \
        | sha256sum | cut -c1-16
}

# Runs a command in a chroot with /proc, /sys and /dev mounted, and unmounts them again.
in_chroot() {
    local root="$1"
    shift
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount --make-rslave "$root/dev"
    local rc=0
    chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@" || rc=$?
    umount -R "$root/dev"
    umount "$root/proc" "$root/sys"
    return "$rc"
}

apt_install() {
    local root="$1"
    shift
    in_chroot "$root" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

write_sources() {
    cat > "$1/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
}

build_minbase() {
    local root="$1"
    log "debootstrap $suite (minbase) into $root"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >/dev/null
    write_sources "$root"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # No service starts inside a chroot during the build.
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    in_chroot "$root" apt-get update -qq --error-on=any
    # A provider image is patched when the server is created: start from current packages.
    in_chroot "$root" apt-get dist-upgrade -y -qq >/dev/null
}

finish_rootfs() {
    local root="$1"
    in_chroot "$root" apt-get clean
    rm -f "$root/usr/sbin/policy-rc.d"
    rm -rf "$root"/var/lib/apt/lists/*_Packages "$root"/var/log/apt/*
}

# The VPS: a fresh cloud server with password login for root (set per run) and the cloud-init
# drop-in that turns password authentication on.
configure_vps() {
    local root="$1"
    local files="$here/rootfs-files"
    echo "vps" > "$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tvps\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
        > "$root/etc/hosts"
    : > "$root/etc/machine-id"
    install -m 0644 "$files/50-cloud-init.conf" "$root/etc/ssh/sshd_config.d/50-cloud-init.conf"
    # Provider images that hand out a root password allow root password login in the main file.
    sed -i 's/^#\?PermitRootLogin .*/PermitRootLogin yes/' "$root/etc/ssh/sshd_config"
    install -m 0644 "$files/e2e-cgroup-rw.service" "$files/e2e-proc-sys-ro.service" \
        "$root/etc/systemd/system/"
    in_chroot "$root" systemctl enable -q e2e-cgroup-rw.service e2e-proc-sys-ro.service
    install -D -m 0755 "$files/docker-compose-shim.sh" \
        "$root/usr/libexec/docker/cli-plugins/docker-compose"
    install -m 0644 "$files/ssh@.service" "$root/etc/systemd/system/ssh@.service"
    # Nothing in a container can use these; they only fail and clutter `systemctl --failed`.
    in_chroot "$root" systemctl mask -q systemd-udevd.service systemd-udev-trigger.service \
        getty@tty1.service console-getty.service
}

build_all() {
    local out="$1"
    build_minbase "$out/minbase"

    log "vps rootfs"
    cp -a "$out/minbase" "$out/vps"
    # shellcheck disable=SC2046 # one package per word
    apt_install "$out/vps" $(packages_of vps)
    configure_vps "$out/vps"
    finish_rootfs "$out/vps"

    log "image rootfs: base, postgres, node"
    cp -a "$out/minbase" "$out/image-base"
    # shellcheck disable=SC2046
    apt_install "$out/image-base" $(packages_of image-base)
    local image
    for image in image-postgres image-node; do
        cp -a "$out/image-base" "$out/$image"
        # shellcheck disable=SC2046
        apt_install "$out/$image" $(packages_of "$image")
        finish_rootfs "$out/$image"
    done
    # The package creates a cluster; the image's entrypoint makes its own in $PGDATA.
    rm -rf "$out/image-postgres/var/lib/postgresql/15" "$out/image-postgres/etc/postgresql/15"
    finish_rootfs "$out/image-base"
    rm -rf "$out/minbase"
}

main() {
    [ "$(id -u)" = 0 ] || { echo "ERROR: build-rootfs.sh needs root" >&2; exit 1; }
    local cache="$repo/build/vps"
    local key
    key="$(cache_key)"
    local out="$cache/rootfs-$key"
    mkdir -p "$cache"
    exec 9> "$cache/rootfs.lock"
    flock 9
    if [ ! -f "$out/.complete" ]; then
        rm -rf "$out.tmp"
        mkdir -p "$out.tmp"
        local started=$SECONDS
        build_all "$out.tmp"
        touch "$out.tmp/.complete"
        rm -rf "$out"
        mv "$out.tmp" "$out"
        log "rootfs cache $out built in $((SECONDS - started)) s"
        # Older caches (another package list) are no longer used.
        find "$cache" -maxdepth 1 -name 'rootfs-*' ! -name "rootfs-$key" -exec rm -rf {} +
    fi
    echo "$out"
}

main "$@"
