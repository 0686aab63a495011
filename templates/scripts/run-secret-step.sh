#!/usr/bin/env bash
# Managed by Pulumi from templates/scripts/run-secret-step.sh.
# Runs a step whose stdin carries secrets so that nothing it prints can reach Pulumi: when a
# command fails, @pulumi/command puts the command's whole output into its error text, which is
# not secret (not even with logging: none). The step's output goes to a root-only log on the
# server; Pulumi sees only its CHANGED/UNCHANGED line, or on failure the step id, the exit code
# and where the log is. The step inherits this script's stdin, which is never read here.
set -euo pipefail

# --- rendered variables ---
STEP_ID={{ step_id }}
# The step's own script, verbatim (it is linted on its own).
# shellcheck disable=SC1003,SC2016
STEP_SCRIPT={{ step_script }}
LOG_FILE={{ log_file }}
# --- end of rendered variables ---

WORK_DIR=""

cleanup() {
    if [[ -n "$WORK_DIR" ]]; then rm -rf "$WORK_DIR"; fi
}

main() {
    local status=0 outcome
    WORK_DIR="$(mktemp -d)"
    trap cleanup EXIT
    printf '%s' "$STEP_SCRIPT" >"$WORK_DIR/step.sh"
    install -d -m 0700 "$(dirname "$LOG_FILE")"
    : >"$LOG_FILE"
    chmod 0600 "$LOG_FILE"
    bash "$WORK_DIR/step.sh" >"$LOG_FILE" 2>&1 || status=$?
    if ((status != 0)); then
        echo "ERROR: step $STEP_ID failed (exit $status). Its input holds secrets, so its output is kept on the server only: $LOG_FILE (root)" >&2
        exit "$status"
    fi
    outcome="$(tail -n 1 "$LOG_FILE")"
    if [[ "$outcome" != "CHANGED" && "$outcome" != "UNCHANGED" ]]; then
        echo "ERROR: step $STEP_ID did not end with CHANGED or UNCHANGED; its output is in $LOG_FILE (root)" >&2
        exit 1
    fi
    echo "==> step $STEP_ID: output in $LOG_FILE"
    echo "$outcome"
}

main "$@"
