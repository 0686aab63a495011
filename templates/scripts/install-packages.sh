#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/install-packages.sh.
# Installs the base packages that are missing; touches apt only when something is missing.
set -euo pipefail

# --- rendered variables ---
PACKAGES={{ packages }}
# --- end of rendered variables ---

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

main() {
    local packages missing=() package
    read -ra packages <<<"$PACKAGES"
    for package in "${packages[@]}"; do
        is_installed "$package" || missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then
        echo "==> all base packages present"
        echo UNCHANGED
        return
    fi
    echo "==> installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # --error-on=any: a plain update exits 0 even when every mirror is unreachable.
    if ! apt-get -o DPkg::Lock::Timeout=300 update -q --error-on=any; then
        echo "ERROR: apt-get update failed; check the server's network and apt sources" >&2
        exit 1
    fi
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
    echo CHANGED
}

main "$@"
