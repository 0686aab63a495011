/** Command-line parsing for the ops CLI: global options, then one command and its arguments. */

export class UsageError extends Error {}

export interface GlobalOptions {
    stack?: string;
    identity?: string;
}

export type OpsCommand =
    | { readonly name: "help" }
    | { readonly name: "status" }
    | {
          readonly name: "logs";
          readonly service?: string;
          readonly follow: boolean;
          readonly since?: string;
          readonly tail?: string;
      }
    | { readonly name: "psql"; readonly args: readonly string[] }
    | { readonly name: "exec"; readonly service: string; readonly command: readonly string[] }
    | { readonly name: "backup"; readonly download: boolean; readonly output?: string }
    | {
          readonly name: "restore";
          readonly file: string;
          readonly upload: boolean;
          readonly yes: boolean;
      }
    | { readonly name: "ssh" };

export interface ParsedArgs {
    readonly global: GlobalOptions;
    readonly command: OpsCommand;
}

const COMMANDS = ["status", "logs", "psql", "exec", "backup", "restore", "ssh", "help"];

class Cursor {
    private index = 0;
    constructor(private readonly args: readonly string[]) {}
    next(): string | undefined {
        return this.args[this.index++];
    }
    rest(): string[] {
        const rest = this.args.slice(this.index);
        this.index = this.args.length;
        return rest;
    }
    value(option: string): string {
        const value = this.next();
        if (value === undefined) throw new UsageError(`${option} needs a value`);
        return value;
    }
}

/** Consumes a global option at the cursor; false when `arg` is not one. */
function takeGlobal(arg: string, cursor: Cursor, global: GlobalOptions): boolean {
    if (arg === "--stack" || arg === "-s") global.stack = cursor.value(arg);
    else if (arg === "--identity" || arg === "-i") global.identity = cursor.value(arg);
    else return false;
    return true;
}

/** Parses the options of a command without pass-through arguments. */
function parseOptions(
    cursor: Cursor,
    global: GlobalOptions,
    handle: (arg: string) => boolean,
): string[] {
    const positional: string[] = [];
    for (let arg = cursor.next(); arg !== undefined; arg = cursor.next()) {
        if (takeGlobal(arg, cursor, global) || handle(arg)) continue;
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
    return positional;
}

function noPositional(command: string, positional: readonly string[]): void {
    if (positional.length > 0)
        throw new UsageError(`${command} takes no argument ${positional[0]}`);
}

function parseCommand(name: string, cursor: Cursor, global: GlobalOptions): OpsCommand {
    switch (name) {
        case "help":
            return { name };
        case "status":
        case "ssh":
            noPositional(
                name,
                parseOptions(cursor, global, () => false),
            );
            return { name };
        case "logs": {
            let follow = false;
            let since: string | undefined;
            let tail: string | undefined;
            const positional = parseOptions(cursor, global, (arg) => {
                if (arg === "--follow" || arg === "-f") follow = true;
                else if (arg === "--since") since = cursor.value(arg);
                else if (arg === "--tail" || arg === "-n") tail = cursor.value(arg);
                else return false;
                return true;
            });
            if (positional.length > 1) throw new UsageError("logs takes at most one service");
            if (tail !== undefined && !/^(\d+|all)$/.test(tail)) {
                throw new UsageError(`--tail takes a number of lines or "all", got ${tail}`);
            }
            return { name, service: positional[0], follow, since, tail };
        }
        case "psql":
            return { name, args: cursor.rest() };
        case "exec": {
            const service = cursor.next();
            const command = cursor.rest();
            if (service === undefined || command.length === 0) {
                throw new UsageError(
                    "exec needs a service and a command: exec <service> <command...>",
                );
            }
            return { name, service, command };
        }
        case "backup": {
            let download = false;
            let output: string | undefined;
            const positional = parseOptions(cursor, global, (arg) => {
                if (arg === "--download") download = true;
                else if (arg === "--output" || arg === "-o") output = cursor.value(arg);
                else return false;
                return true;
            });
            noPositional(name, positional);
            if (output !== undefined && !download)
                throw new UsageError("--output needs --download");
            return { name, download, output };
        }
        case "restore": {
            let upload = false;
            let yes = false;
            const positional = parseOptions(cursor, global, (arg) => {
                if (arg === "--upload") upload = true;
                else if (arg === "--yes" || arg === "-y") yes = true;
                else return false;
                return true;
            });
            if (positional.length !== 1) throw new UsageError("restore needs exactly one <file>");
            return { name, file: positional[0]!, upload, yes };
        }
        default:
            throw new UsageError(`unknown command ${name}; commands: ${COMMANDS.join(", ")}`);
    }
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
    const cursor = new Cursor(argv);
    const global: GlobalOptions = {};
    for (let arg = cursor.next(); arg !== undefined; arg = cursor.next()) {
        if (arg === "-h" || arg === "--help") return { global, command: { name: "help" } };
        if (takeGlobal(arg, cursor, global)) continue;
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        return { global, command: parseCommand(arg, cursor, global) };
    }
    throw new UsageError("missing command");
}

export const USAGE = `Usage: npm run ops -- [--stack <name>] [--identity <key>] <command> [args]

Day-2 operations on the stack's host over SSH (host key pinned by \`npm run trust-host\`).
Remote commands run in the stack dir (/opt/telegram-ecosystem unless stackDir says otherwise).

Commands:
  status                       compose services with health, container CPU/memory, disk, memory
  logs [service] [--follow] [--since <1h|2026-01-02T03:04:05>] [--tail <n|all>]
                               service logs (last 100 lines unless --since or --tail)
  psql [psql args...]          psql in the postgres container over its socket (no password);
                               pipe SQL in to run it: npm run ops -- psql < fix.sql
  exec <service> <command...>  run a command in a service container
  backup [--download] [--output <dir>]
                               run scripts/backup-postgres.sh on the host; --download copies the
                               newest backup to <dir> (default ./backups, 0600, git-ignored)
  restore <file> [--upload] [--yes]
                               run scripts/restore-postgres.sh <file> on the host (a backup name
                               or path there); --upload sends a local file first; asks first
                               unless --yes
  ssh                          a login shell on the host in the stack dir

Options:
  -s, --stack <name>     stack (default: PULUMI_STACK, else the only Pulumi.<stack>.yaml)
  -i, --identity <file>  private key (default: ssh-agent, then ~/.ssh/id_ed25519|id_ecdsa|id_rsa)
  -h, --help             show this help

Host, sshPort, sshUser, hostKey and stackDir come from Pulumi.<stack>.yaml, or from
\`pulumi stack output\` when the config lacks them. Exit status: the remote command's; 1 when
ops itself fails (config, connection, host key); 2 on a usage error.
`;
