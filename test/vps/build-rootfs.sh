#!/usr/bin/env bash
# Builds (once) the Debian root file systems of the test VPS and of its local base images for one
# release (--release trixie, the default, or bookworm), cached in build/vps/rootfs-<release>-<key>/,
# where <key> hashes rootfs-packages.txt, this script and rootfs-files/. Prints the cache directory
# on stdout. Needs root, debootstrap and a Debian mirror.
#
# The mirror is the one this machine's apt already uses (its Debian archive and security entries),
# else debootstrap's own default; no mirror host is written here.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
readonly here repo
readonly releases="trixie bookworm"
release="trixie"

log() { echo "==> $*" >&2; }

usage() {
    echo "usage: build-rootfs.sh [--release trixie|bookworm]" >&2
    exit 2
}

# Packages of a rootfs for the release: lines "<name>:" and "<name>@<release>:".
packages_of() {
    sed -n -e "s/^$1: *//p" -e "s/^$1@$release: *//p" "$here/rootfs-packages.txt"
}

cache_key() {
    {
        cat "$here/rootfs-packages.txt" "$here/build-rootfs.sh"
        find "$here/rootfs-files" -type f | LC_ALL=C sort | xargs cat
    } | sha256sum | cut -c1-16
}

# Every repository URI in this machine's own apt sources (Deb822 `URIs:` and one-line `deb`).
apt_source_uris() {
    {
        sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
        sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
    } | tr ' ' '\n' | sed '/^$/d'
}

# The target's apt sources: the archive that debootstrap used (it wrote it to sources.list) and,
# when this machine has one, its security archive for the target release. One-line format, as
# debootstrap writes it: Lynis (PKGS-7388) recognises a security source only in that format or
# by the security host's name, which Ubuntu 24.04's own sources carry, so the test VPS scores
# that check as the production server does.
write_sources() {
    local root="$1" security="$2" archive
    archive="$(awk '$1 == "deb" { print $2; exit }' "$root/etc/apt/sources.list")"
    [[ -n "$archive" ]] || { echo "ERROR: debootstrap wrote no archive to sources.list" >&2; exit 1; }
    {
        echo "deb $archive $release main"
        echo "deb $archive $release-updates main"
        if [[ -n "$security" ]]; then echo "deb $security $release-security main"; fi
    } > "$root/etc/apt/sources.list"
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

# Unmounts whatever is mounted under a directory, deepest first. A build killed inside in_chroot
# leaves /proc, /sys and a recursive bind of the host's /dev mounted in its .tmp tree; removing
# that tree with the mounts in place would delete the host's device nodes.
release_mounts() {
    local dir
    dir="$(realpath -m "$1")"
    awk -v dir="$dir/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r -u |
        while read -r mountpoint; do
            umount -R "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null || true
        done
    if awk -v dir="$dir/" 'index($2, dir) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
        echo "ERROR: cannot unmount everything under $dir" >&2
        exit 1
    fi
}

apt_install() {
    local root="$1"
    shift
    in_chroot "$root" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

build_minbase() {
    local root="$1" archive security
    # The Debian archive and security mirrors this machine's apt already uses; no host is named.
    archive="$(apt_source_uris | grep -Ev -- '-security/?$' | grep -Em1 '/debian/?$' || true)"
    security="$(apt_source_uris | grep -Em1 -- '/debian-security/?$' || true)"
    if [[ -n "$archive" ]]; then
        log "debootstrap $release (minbase) into $root, from this machine's Debian mirror"
    else
        log "debootstrap $release (minbase) into $root, from debootstrap's default mirror"
    fi
    [[ -n "$security" ]] || log "WARNING: this machine has no Debian security source; the rootfs gets none"
    # An empty mirror argument is not passed, so debootstrap uses its default.
    debootstrap --variant=minbase "$release" "$root" ${archive:+"$archive"} >/dev/null
    write_sources "$root" "$security"
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
    if [[ "$release" == bookworm ]]; then
        # Debian 12 has no Compose v2 package and an sshd without socket activation.
        install -D -m 0755 "$files/bookworm/docker-compose-shim.sh" \
            "$root/usr/libexec/docker/cli-plugins/docker-compose"
        install -m 0644 "$files/bookworm/ssh@.service" "$root/etc/systemd/system/ssh@.service"
    fi
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
    rm -rf "$out"/image-postgres/var/lib/postgresql/* "$out"/image-postgres/etc/postgresql/*
    finish_rootfs "$out/image-base"
    rm -rf "$out/minbase"
}

main() {
    while (($#)); do
        case "$1" in
            --release) [[ $# -ge 2 ]] || usage; release="$2"; shift 2 ;;
            *) usage ;;
        esac
    done
    [[ " $releases " == *" $release "* ]] || { echo "ERROR: unknown release $release (one of: $releases)" >&2; exit 2; }
    [ "$(id -u)" = 0 ] || { echo "ERROR: build-rootfs.sh needs root" >&2; exit 1; }
    local cache="$repo/build/vps"
    local key
    key="$(cache_key)"
    local out="$cache/rootfs-$release-$key"
    mkdir -p "$cache"
    exec 9> "$cache/rootfs-$release.lock"
    flock 9
    if [ ! -f "$out/.complete" ]; then
        release_mounts "$out.tmp"
        rm -rf --one-file-system "$out.tmp"
        mkdir -p "$out.tmp"
        # Expanded now: `out` is local to main, and a `set -e` exit unwinds it before the trap runs.
        # shellcheck disable=SC2064
        trap "release_mounts '$out.tmp'" EXIT
        local started=$SECONDS
        build_all "$out.tmp"
        touch "$out.tmp/.complete"
        rm -rf "$out"
        mv "$out.tmp" "$out"
        trap - EXIT
        log "rootfs cache $out built in $((SECONDS - started)) s"
        # Older caches of this release (another package list) and of the single-release
        # layout (rootfs-<key>) are no longer used.
        # A .tmp among them may hold a killed build's mounts.
        local old
        while IFS= read -r -d '' old; do
            release_mounts "$old"
            rm -rf --one-file-system "$old"
        done < <(find "$cache" -maxdepth 1 -regextype posix-extended \( -name "rootfs-$release-*" \
            ! -name "rootfs-$release-$key" -o -regex '.*/rootfs-[0-9a-f]{16}' \) -print0)
    fi
    echo "$out"
}

main "$@"
