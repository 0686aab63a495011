#!/usr/bin/env bash
# Makes the Pulumi CLI of .pulumi.version available together with what `pulumi preview|up` of a
# Node.js program needs besides resource plugins: the Node.js language host and the dynamic-provider
# plugin. Both are "bundled" plugins: the CLI looks for them on PATH, then next to its own binary
# (sdk/go/common/workspace/plugins.go, IsPluginBundled/GetPluginPath), so they go into the CLI's
# bin directory. Built from Go modules when no matching `pulumi` is installed (binary downloads are
# not reachable on our machines). Prints that bin directory as its last line. Safe to run again:
# cached builds take well under a second.
#
# The language host is NOT the CLI's release: its module of that release
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is refused by our Go module
# proxy, so it is built from sdk/v3 at the newest served release that still holds it (see
# toolchain/pulumi-language-nodejs/go.mod) and stamped with that release; `pulumi about` shows it.
#
#   PULUMI_TOOLCHAIN_CACHE  where builds are kept (default: ~/.cache/telegram-vps/toolchain)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
version="$(tr -d '[:space:]' <"$repo/.pulumi.version")"
cache="${PULUMI_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telegram-vps/toolchain}"
cli_module="$repo/toolchain/pulumi"
host_module="$repo/toolchain/pulumi-language-nodejs"
version_var=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

say() { printf 'toolchain: %s\n' "$*" >&2; }

# The CLI's wrapper module must pin the same release as .pulumi.version, or the cache key would lie.
for module in pkg sdk; do
    if ! grep -Eq "github.com/pulumi/pulumi/$module/v3 v$version( // indirect)?\$" "$cli_module/go.mod"; then
        say "toolchain/pulumi/go.mod does not require $module/v3 v$version (.pulumi.version);" \
            "edit it and run 'go mod tidy' there"
        exit 1
    fi
done
# The language host's release is the sdk/v3 its wrapper module requires (its cache key and stamp).
host_version="$(sed -nE 's#^require github.com/pulumi/pulumi/sdk/v3 v([0-9.]+)$#\1#p' "$host_module/go.mod")"
[ -n "$host_version" ] || { say "toolchain/pulumi-language-nodejs/go.mod: no 'require github.com/pulumi/pulumi/sdk/v3 v…' line"; exit 1; }

installed_version() { "$1" version 2>/dev/null | tr -d '[:space:]'; }

# A user's own install of this release ships its language host and dynamic-provider plugin.
if command -v pulumi >/dev/null && [ "$(installed_version pulumi)" = "v$version" ]; then
    installed_dir="$(dirname "$(readlink -f "$(command -v pulumi)")")"
    if [ -x "$installed_dir/pulumi-language-nodejs" ] && [ -x "$installed_dir/pulumi-resource-pulumi-nodejs" ]; then
        say "pulumi v$version already installed at $installed_dir"
        echo "$installed_dir"
        exit 0
    fi
fi

# go_build <module dir> <package> <version to stamp> <output>: builds into a temporary name, then
# renames, so an interrupted build never leaves a broken cache.
go_build() {
    if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
    command -v go >/dev/null || { say "go is needed to build $2 v$3 (Go >= 1.25)"; exit 1; }
    say "building $2 v$3 from its Go module into $(dirname "$4") (cold: minutes)"
    mkdir -p "$(dirname "$4")"
    local started=$SECONDS
    (cd "$1" && go build -mod=readonly -trimpath -ldflags "-s -w -X $version_var=v$3" -o "$4.partial" "$2")
    mv "$4.partial" "$4"
    say "built $(basename "$4") v$3 in $((SECONDS - started)) s"
}

bin_dir="$cache/pulumi-v$version/bin"
if ! [ -x "$bin_dir/pulumi" ] || [ "$(installed_version "$bin_dir/pulumi")" != "v$version" ]; then
    go_build "$cli_module" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$version" "$bin_dir/pulumi"
fi

host="$cache/pulumi-language-nodejs-v$host_version/bin/pulumi-language-nodejs"
if ! [ -x "$host" ]; then
    go_build "$host_module" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
        "$host_version" "$host"
fi
ln -sfn "$host" "$bin_dir/pulumi-language-nodejs"

glue="$repo/toolchain/pulumi-resource-pulumi-nodejs"
if ! cmp -s "$glue" "$bin_dir/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$glue" "$bin_dir/pulumi-resource-pulumi-nodejs.partial"
    mv "$bin_dir/pulumi-resource-pulumi-nodejs.partial" "$bin_dir/pulumi-resource-pulumi-nodejs"
fi

say "pulumi v$version (language host nodejs v$host_version) at $bin_dir"
echo "$bin_dir"
