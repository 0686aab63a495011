#!/usr/bin/env bash
# Test double for GNU df, put first on PATH by the operations tests. It answers only the call the
# monitor makes, `df --block-size=1M --output=size,avail,itotal,iavail,target -- <path>...`, with
# GNU df's header and one line per path from $FAKE_DF_FILE ("<size> <avail> <inodes> <ifree>
# <mount point>", sizes in MB), so that every path seems to live on that one filesystem.
set -euo pipefail

readonly FILE="${FAKE_DF_FILE:?FAKE_DF_FILE must point at the fake filesystem line}"

[[ "${1:-}" == --block-size=1M && "${2:-}" == --output=size,avail,itotal,iavail,target &&
    "${3:-}" == -- && $# -gt 3 ]] || { echo "fake df: unexpected call: df $*" >&2; exit 64; }
shift 3
echo "1M-blocks Avail Inodes IFree Mounted on"
for _ in "$@"; do cat "$FILE"; done
