#!/usr/bin/env bash
# Test double for systemctl (the test machine has no systemd as PID 1). State in $FAKE_SYSTEMD_STATE:
#   failed/<unit>, enabled/<unit>, active/<unit>   marker files; calls.log gets one line per call.
set -euo pipefail

readonly STATE="${FAKE_SYSTEMD_STATE:?FAKE_SYSTEMD_STATE must point at the fake systemd state directory}"

main() {
    printf '%s\n' "$*" >>"$STATE/calls.log"
    case "$1" in
        is-failed | is-enabled | is-active)
            [[ "$2" == --quiet ]] || { echo "fake systemctl: $1 without --quiet" >&2; exit 64; }
            local kind="${1#is-}"
            [[ -e "$STATE/$kind/$3" ]] ;;
        enable)
            [[ "$2" == --now ]] || { echo "fake systemctl: enable without --now" >&2; exit 64; }
            mkdir -p "$STATE/enabled" "$STATE/active"
            touch "$STATE/enabled/$3" "$STATE/active/$3" ;;
        daemon-reload | restart) ;;
        *) echo "fake systemctl: unsupported: $*" >&2; exit 64 ;;
    esac
}

main "$@"
