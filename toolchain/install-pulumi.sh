#!/usr/bin/env bash
# Makes the Pulumi CLI of .pulumi.version available, built from its Go module when no matching
# `pulumi` is installed (binary downloads are not reachable on our machines). Prints the directory
# that holds the binary as its last line. Safe to run again: a cached build takes well under a second.
#
#   PULUMI_TOOLCHAIN_CACHE  where builds are kept (default: ~/.cache/telegram-vps/toolchain)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
version="$(tr -d '[:space:]' <"$repo/.pulumi.version")"
cache="${PULUMI_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telegram-vps/toolchain}"
module_dir="$repo/toolchain/pulumi"

say() { printf 'toolchain: %s\n' "$*" >&2; }

# The wrapper module must pin the same release as .pulumi.version, or the cache key would lie.
for module in pkg sdk; do
    if ! grep -Eq "github.com/pulumi/pulumi/$module/v3 v$version( // indirect)?\$" "$module_dir/go.mod"; then
        say "toolchain/pulumi/go.mod does not require $module/v3 v$version (.pulumi.version);" \
            "edit it and run 'go mod tidy' there"
        exit 1
    fi
done

installed_version() { "$1" version 2>/dev/null | tr -d '[:space:]'; }

if command -v pulumi >/dev/null && [ "$(installed_version pulumi)" = "v$version" ]; then
    say "pulumi v$version already installed at $(command -v pulumi)"
    dirname "$(command -v pulumi)"
    exit 0
fi

bin_dir="$cache/pulumi-v$version/bin"
if [ -x "$bin_dir/pulumi" ] && [ "$(installed_version "$bin_dir/pulumi")" = "v$version" ]; then
    say "pulumi v$version cached at $bin_dir"
    echo "$bin_dir"
    exit 0
fi

# Go's own tarball installs under /usr/local/go, which a non-login shell may not have on PATH.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null || { say "go is needed to build pulumi v$version (Go >= 1.25)"; exit 1; }
say "building pulumi v$version from its Go module into $bin_dir (cold: several minutes)"
mkdir -p "$bin_dir"
started=$SECONDS
# Build into a temporary name, then rename: an interrupted build never leaves a broken cache.
(
    cd "$module_dir"
    go build -mod=readonly -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
        -o "$bin_dir/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
mv "$bin_dir/pulumi.partial" "$bin_dir/pulumi"
say "built pulumi $(installed_version "$bin_dir/pulumi") in $((SECONDS - started)) s"
echo "$bin_dir"
