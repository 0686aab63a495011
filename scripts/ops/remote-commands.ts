import { shellJoin, shellQuote } from "../lib/shell-quote";
import { KEPT_IMAGES_DIR } from "../../components/plan/steps/image-steps";
import { UsageError } from "./command-spec";

/**
 * The shell commands the ops CLI sends to the host, built as plain strings so tests can read
 * them. Every value that comes from the operator or the config is shell-quoted; the remote
 * shell is POSIX sh or bash, and compose commands work with Compose v2 and the v1 shim alike.
 */

/** Exit status of the remote prelude when the host lacks something ops needs. */
export const MISSING_ON_HOST = 3;

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Compose service names start with a letter or digit: never an option, never a path. */
export function assertServiceName(service: string): void {
    if (!SERVICE_NAME.test(service)) {
        throw new UsageError(
            `invalid service name ${JSON.stringify(service)}: use a compose service such as ` +
                "postgres, telegram-bot-api or mpcabinet-picture-bot (see `ops status`)",
        );
    }
}

function fail(message: string): string {
    return `{ echo ${shellQuote(`ops: ${message}`)} >&2; exit ${MISSING_ON_HOST}; }`;
}

/** `cd` into the stack dir or stop with a message that says what to do. */
function inStackDir(stackDir: string, body: string): string {
    const missing = fail(
        `stack dir ${stackDir} does not exist on the host; run \`pulumi up\` first`,
    );
    return `cd ${shellQuote(stackDir)} 2>/dev/null || ${missing}\n${body}`;
}

function compose(args: readonly string[]): string {
    return `docker compose ${shellJoin(args)}`;
}

export function statusCommand(stackDir: string): string {
    const images = shellQuote(KEPT_IMAGES_DIR);
    const statsFormat = "table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}";
    return inStackDir(
        stackDir,
        [
            "rc=0",
            "echo '== services'",
            `${compose(["ps", "-a"])} || rc=1`,
            `ids=$(${compose(["ps", "-q"])} 2>/dev/null)`,
            'if [ -n "$ids" ]; then',
            "    echo; echo '== container resources'",
            `    docker stats --no-stream --format ${shellQuote(statsFormat)} $ids || rc=1`,
            "fi",
            "echo; echo '== disk'",
            `df -h / ${shellQuote(stackDir)} || rc=1`,
            "echo; echo '== memory'",
            "free -h || rc=1",
            "echo; echo '== bot images kept for a rollback (README: Roll back a bot)'",
            `if [ -d ${images} ] && [ -n "$(ls -A ${images})" ]; then`,
            `    (cd ${images} && grep -H . -- *) || rc=1`,
            "else",
            "    echo '(none recorded yet: the first deploy with image pruning records them)'",
            "fi",
            'exit "$rc"',
        ].join("\n"),
    );
}

export interface LogsOptions {
    readonly service?: string;
    readonly follow: boolean;
    readonly since?: string;
    /** A line count or "all"; defaults to 100 unless `since` is given. */
    readonly tail?: string;
    readonly color: boolean;
}

export function logsCommand(stackDir: string, options: LogsOptions): string {
    const args = ["logs"];
    if (!options.color) args.push("--no-color");
    const tail = options.tail ?? (options.since === undefined ? "100" : undefined);
    if (tail !== undefined) args.push("--tail", tail);
    if (options.since !== undefined) args.push("--since", options.since);
    if (options.follow) args.push("--follow");
    if (options.service !== undefined) {
        assertServiceName(options.service);
        args.push(options.service);
    }
    return inStackDir(stackDir, `exec ${compose(args)}`);
}

/** `-T` turns off compose's TTY when the laptop side has none (pipes, scripts, tests). */
function execArgs(tty: boolean, service: string): string[] {
    assertServiceName(service);
    return tty ? ["exec", service] : ["exec", "-T", service];
}

/**
 * psql inside the postgres container over its Unix socket, as the image's own POSTGRES_USER:
 * the container trusts local socket connections, so no password is on any command line.
 * Without a TTY (SQL piped in) the first error stops the run and sets the exit status.
 */
export function psqlCommand(stackDir: string, tty: boolean, psqlArgs: readonly string[]): string {
    const inner =
        'exec psql -U "${POSTGRES_USER:-postgres}" ' +
        '-d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" "$@"';
    const extra = tty ? [] : ["-v", "ON_ERROR_STOP=1"];
    const args = [...execArgs(tty, "postgres"), "sh", "-c", inner, "psql", ...extra, ...psqlArgs];
    return inStackDir(stackDir, `exec ${compose(args)}`);
}

export function execCommand(
    stackDir: string,
    tty: boolean,
    service: string,
    command: readonly string[],
): string {
    if (command.length === 0) throw new UsageError("exec needs a command to run in the container");
    return inStackDir(stackDir, `exec ${compose([...execArgs(tty, service), ...command])}`);
}

function hostScript(stackDir: string, name: string): string {
    return `${stackDir.replace(/\/+$/, "")}/scripts/${name}`;
}

function requireScript(path: string): string {
    return `[ -x ${shellQuote(path)} ] || ${fail(
        `${path} is missing on the host; deploy the operations step with \`pulumi up\` first`,
    )}`;
}

export function backupCommand(stackDir: string): string {
    const script = hostScript(stackDir, "backup-postgres.sh");
    return inStackDir(stackDir, `${requireScript(script)}\nexec ${shellQuote(script)}`);
}

/** ops asked for confirmation itself (or got --yes): the host script is told not to ask again. */
export function restoreCommand(stackDir: string, file: string): string {
    const script = hostScript(stackDir, "restore-postgres.sh");
    return inStackDir(
        stackDir,
        `${requireScript(script)}\nexec ${shellJoin([script, "--yes", file])}`,
    );
}

/** Runs the production checklist installed by the operations step; exits 1 on a failing item. */
export function checkCommand(stackDir: string): string {
    const script = hostScript(stackDir, "production-check.sh");
    return inStackDir(stackDir, `${requireScript(script)}\nexec ${shellQuote(script)}`);
}

export function backupDir(stackDir: string): string {
    return `${stackDir.replace(/\/+$/, "")}/backups`;
}

/**
 * Prints `<size> <name>` of the newest finished backup. Hidden files and *.tmp/*.part/*.partial
 * are dumps still being written.
 */
export function newestBackupCommand(stackDir: string): string {
    const dir = shellQuote(backupDir(stackDir));
    const none = fail(`no backup in ${backupDir(stackDir)}`);
    return [
        `newest=$(find ${dir} -maxdepth 1 -type f ! -name '.*' ! -name '*.tmp' ! -name '*.part' \\`,
        "    ! -name '*.partial' -printf '%T@ %s %f\\n' 2>/dev/null | sort -n | tail -n 1)",
        `[ -n "$newest" ] || ${none}`,
        "printf '%s\\n' \"${newest#* }\"",
    ].join("\n");
}

/** Streams one file to stdout (binary-safe over the exec channel). */
export function catCommand(path: string): string {
    return `exec cat -- ${shellQuote(path)}`;
}

/** Writes stdin to `<stackDir>/backups/<name>` (0600): via a hidden name, renamed when complete. */
export function uploadCommand(stackDir: string, name: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
        throw new Error(
            `rename ${JSON.stringify(name)} to letters, digits, '.', '_' and '-' first`,
        );
    }
    const dir = backupDir(stackDir);
    const partial = shellQuote(`${dir}/.${name}.upload`);
    return [
        "umask 077",
        `mkdir -p ${shellQuote(dir)}`,
        `cat > ${partial}`,
        `mv -f ${partial} ${shellQuote(`${dir}/${name}`)}`,
    ].join(" && ");
}

/** A login shell in the stack dir (or the home directory when the stack is not deployed yet). */
export function shellCommand(stackDir: string): string {
    const warning = shellQuote(
        `ops: ${stackDir} does not exist yet; staying in the home directory`,
    );
    const cd = `cd ${shellQuote(stackDir)} 2>/dev/null || echo ${warning} >&2`;
    return `${cd}\nexec "\${SHELL:-/bin/sh}" -l`;
}
