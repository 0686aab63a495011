import { parseArgs, type ParseArgsConfig } from "node:util";
import {
    UsageError,
    type AnyCommand,
    type GlobalOptions,
    type OptionSpec,
    type OptionValues,
} from "./command-spec";

/** Command-line parsing and help for the ops CLI, driven by the command table (commands.ts). */

const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
    stack: {
        type: "string",
        short: "s",
        value: "<name>",
        description: "stack (default: PULUMI_STACK, else the only Pulumi.<stack>.yaml)",
    },
    identity: {
        type: "string",
        short: "i",
        value: "<file>",
        description: "private key (default: ssh-agent, then ~/.ssh/id_ed25519|id_ecdsa|id_rsa)",
    },
};
const HELP: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

export type ParsedCommandLine =
    | { readonly kind: "help"; readonly text: string }
    | {
          readonly kind: "run";
          readonly global: GlobalOptions;
          readonly command: AnyCommand;
          readonly params: unknown;
      };

function parseConfig(options: Readonly<Record<string, OptionSpec>>): ParseArgsConfig["options"] {
    return Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
            name,
            spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short },
        ]),
    );
}

/** parseArgs' errors, reworded into ops' usage errors. */
function strictParse(args: readonly string[], options: Readonly<Record<string, OptionSpec>>) {
    try {
        return parseArgs({
            args: [...args],
            options: parseConfig(options),
            strict: true,
            allowPositionals: true,
        });
    } catch (error) {
        const { code, message } = error as NodeJS.ErrnoException;
        if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
            const option = /Unknown option '([^']+)'/.exec(message)?.[1] ?? message;
            throw new UsageError(`unknown option ${option}`);
        }
        if (code?.startsWith("ERR_PARSE_ARGS_")) throw new UsageError(message);
        throw error;
    }
}

function globalsFrom(values: OptionValues, into: GlobalOptions): void {
    if (typeof values.stack === "string") into.stack = values.stack;
    if (typeof values.identity === "string") into.identity = values.identity;
}

/**
 * `[global options] <command> [command options and arguments]`. Global options may also follow
 * the command, except for pass-through commands, whose arguments all belong to the remote side.
 */
export function parseCommandLine(
    argv: readonly string[],
    commands: readonly AnyCommand[],
): ParsedCommandLine {
    // Non-strict pass only to find where the command name is; the globals before it are then
    // parsed strictly.
    const { tokens } = parseArgs({
        args: [...argv],
        options: parseConfig({ ...GLOBAL_OPTIONS, help: HELP }),
        strict: false,
        allowPositionals: true,
        tokens: true,
    });
    const commandToken = tokens.find((token) => token.kind === "positional");
    const end = commandToken?.index ?? argv.length;
    const leading = strictParse(argv.slice(0, end), { ...GLOBAL_OPTIONS, help: HELP });
    if ((leading.values as OptionValues).help === true) {
        return { kind: "help", text: generalUsage(commands) };
    }
    if (commandToken === undefined || commandToken.kind !== "positional") {
        throw new UsageError("missing command");
    }
    const global: GlobalOptions = {};
    globalsFrom(leading.values, global);
    const name = commandToken.value;
    if (name === "help") return { kind: "help", text: generalUsage(commands) };
    const command = commands.find((candidate) => candidate.name === name);
    if (command === undefined) {
        const names = commands.map((candidate) => candidate.name).join(", ");
        throw new UsageError(`unknown command ${name}; commands: ${names}`);
    }
    const rest = argv.slice(end + 1);
    if (command.passThrough) {
        if (rest[0] === "--help" || rest[0] === "-h") {
            return { kind: "help", text: commandUsage(command) };
        }
        return { kind: "run", global, command, params: command.parse({}, rest) };
    }
    const parsed = strictParse(rest, { ...GLOBAL_OPTIONS, ...command.options, help: HELP });
    if ((parsed.values as OptionValues).help === true) {
        return { kind: "help", text: commandUsage(command) };
    }
    globalsFrom(parsed.values, global);
    const params = command.parse(parsed.values, parsed.positionals);
    return { kind: "run", global, command, params };
}

const PROGRAM = "npm run ops --";

export const EXIT_STATUS = `\
Exit status: the remote command's; 1 when ops itself fails (config, connection,
host key) or \`check\` finds a failing item; 2 on a usage error; 3 when the host lacks the
stack dir or a script ops runs there (deploy with \`pulumi up\` first).`;

function optionLabel(name: string, spec: OptionSpec): string {
    const short = spec.short === undefined ? "    " : `-${spec.short}, `;
    const value = spec.type === "string" ? ` ${spec.value ?? "<value>"}` : "";
    return `${short}--${name}${value}`;
}

function optionTable(options: Readonly<Record<string, OptionSpec>>): string {
    const rows = Object.entries(options).map(
        ([name, spec]) => [optionLabel(name, spec), spec.description] as const,
    );
    const width = Math.max(...rows.map(([label]) => label.length)) + 2;
    return rows.map(([label, description]) => `  ${label.padEnd(width)}${description}`).join("\n");
}

/** "logs [service] [--follow] [--since <when>]": the command as the command list shows it. */
function synopsis(command: AnyCommand): string {
    const options = Object.entries(command.options ?? {}).map(([name, spec]) =>
        spec.type === "string" ? `[--${name} ${spec.value ?? "<value>"}]` : `[--${name}]`,
    );
    return [command.name, command.args, ...options].filter(Boolean).join(" ");
}

const COLUMN = 29;

export function generalUsage(commands: readonly AnyCommand[]): string {
    const list = commands
        .map((command) => {
            const line = synopsis(command);
            const [first, ...more] = command.summary;
            const head =
                line.length < COLUMN - 2
                    ? `  ${line.padEnd(COLUMN - 2)}${first}`
                    : `  ${line}\n${" ".repeat(COLUMN)}${first}`;
            return [head, ...more.map((text) => `${" ".repeat(COLUMN)}${text}`)].join("\n");
        })
        .join("\n");
    return `Usage: ${PROGRAM} [--stack <name>] [--identity <key>] <command> [args]

Day-2 operations on the stack's host over SSH (host key pinned by \`npm run trust-host\`).
Remote commands run in the stack dir (/opt/telegram-ecosystem unless stackDir says otherwise).

Commands:
${list}

Options:
${optionTable({ ...GLOBAL_OPTIONS, help: HELP })}

\`${PROGRAM} <command> --help\` shows a command's options.
Host, sshPort, sshUser, hostKey and stackDir come from Pulumi.<stack>.yaml, or from
\`pulumi stack output\` when the config lacks them.

${EXIT_STATUS}
`;
}

export function commandUsage(command: AnyCommand): string {
    const args = command.args === undefined ? "" : ` ${command.args}`;
    const options = command.options ?? {};
    const hasOptions = Object.keys(options).length > 0;
    const own = hasOptions ? `\nOptions:\n${optionTable(options)}\n` : "";
    const more = hasOptions ? " [options]" : "";
    return `Usage: ${PROGRAM} [global options] ${command.name}${args}${more}

${command.summary.join("\n")}
${own}
Global options:
${optionTable({ ...GLOBAL_OPTIONS, help: HELP })}

${EXIT_STATUS}
`;
}
