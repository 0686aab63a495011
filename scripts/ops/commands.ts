import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { runRemote } from "../lib/ssh-connect";
import { downloadNewestBackup, uploadBackup } from "./backup-transfer";
import {
    defineCommand,
    flag,
    noPositionals,
    stringOption,
    UsageError,
    type AnyCommand,
    type OpsContext,
} from "./command-spec";
import {
    backupCommand,
    checkCommand,
    execCommand,
    logsCommand,
    psqlCommand,
    restoreCommand,
    shellCommand,
    statusCommand,
} from "./remote-commands";

/**
 * The ops commands: one entry each, with its help, flags, parser and action. The remote shell
 * text comes from remote-commands.ts, built before connecting, so bad input fails fast.
 */

const out = { stdout: process.stdout, stderr: process.stderr };

interface RemoteRun {
    readonly text: string;
    /** Forward our stdin to the remote command. */
    readonly stdin?: boolean;
    readonly pty?: boolean;
}

async function runOnHost(context: OpsContext, run: RemoteRun): Promise<number> {
    const client = await context.connect();
    try {
        return await runRemote(client, run.text, {
            ...out,
            stdin: run.stdin ? process.stdin : undefined,
            pty: run.pty ?? false,
        });
    } finally {
        client.end();
    }
}

const status = defineCommand({
    name: "status",
    summary: [
        "compose services with health, container CPU/memory, disk, memory,",
        "and each bot's images kept for a rollback",
    ],
    parse: (_values, positionals) => noPositionals("status", positionals),
    run: (_params, context) => runOnHost(context, { text: statusCommand(context.target.stackDir) }),
});

const check = defineCommand({
    name: "check",
    summary: [
        "the production checklist against the live server: one line per item,",
        "PASS or FAIL with the fix (firewall, SSH passwords off, backup age,",
        "timers, health monitor, services, log rotation, automatic updates,",
        "heartbeat, Local Bot API local mode and shared media, analytics",
        "writes, disk, memory); exit status 1 when an item fails",
    ],
    parse: (_values, positionals) => noPositionals("check", positionals),
    run: (_params, context) => runOnHost(context, { text: checkCommand(context.target.stackDir) }),
});

const logs = defineCommand({
    name: "logs",
    args: "[service]",
    summary: [
        "service logs, all services without one (last 100 lines unless",
        "--since or --tail)",
    ],
    options: {
        follow: { type: "boolean", short: "f", description: "keep printing new lines" },
        since: {
            type: "string",
            value: "<1h|2026-01-02T03:04:05>",
            description: "lines since a duration ago or a time",
        },
        tail: { type: "string", short: "n", value: "<n|all>", description: "the last n lines" },
    },
    parse: (values, positionals) => {
        if (positionals.length > 1) throw new UsageError("logs takes at most one service");
        const tail = stringOption(values, "tail");
        if (tail !== undefined && !/^(\d+|all)$/.test(tail)) {
            throw new UsageError(`--tail takes a number of lines or "all", got ${tail}`);
        }
        return {
            service: positionals[0],
            follow: flag(values, "follow"),
            since: stringOption(values, "since"),
            tail,
        };
    },
    run: (params, context) => {
        const live = params.follow && context.terminal;
        const text = logsCommand(context.target.stackDir, { ...params, color: context.terminal });
        return runOnHost(context, { text, stdin: live, pty: live });
    },
});

const psql = defineCommand({
    name: "psql",
    args: "[psql args...]",
    summary: [
        "psql in the postgres container over its socket (no password); pipe",
        "SQL in to run it: npm run ops -- psql < fix.sql (stops at the first",
        "error); the arguments go to psql (its own help: psql -- --help)",
    ],
    passThrough: true,
    parse: (_values, positionals) => ({
        args: positionals[0] === "--" ? positionals.slice(1) : [...positionals],
    }),
    run: (params, context) =>
        runOnHost(context, {
            text: psqlCommand(context.target.stackDir, context.terminal, params.args),
            stdin: true,
            pty: context.terminal,
        }),
});

const exec = defineCommand({
    name: "exec",
    args: "<service> <command...>",
    summary: ["run a command in a service container (arguments pass unchanged)"],
    passThrough: true,
    parse: (_values, positionals) => {
        const [service, ...command] = positionals;
        if (service === undefined || command.length === 0) {
            throw new UsageError("exec needs a service and a command: exec <service> <command...>");
        }
        return { service, command };
    },
    run: (params, context) =>
        runOnHost(context, {
            text: execCommand(
                context.target.stackDir,
                context.terminal,
                params.service,
                params.command,
            ),
            stdin: true,
            pty: context.terminal,
        }),
});

const backup = defineCommand({
    name: "backup",
    summary: [
        "run scripts/backup-postgres.sh on the host; --download copies the",
        "newest backup to <dir> (default ./backups, 0600, git-ignored)",
    ],
    options: {
        download: { type: "boolean", description: "copy the newest backup to this machine" },
        output: {
            type: "string",
            short: "o",
            value: "<dir>",
            description: "where --download puts it (default ./backups)",
        },
    },
    parse: (values, positionals) => {
        noPositionals("backup", positionals);
        const output = stringOption(values, "output");
        const download = flag(values, "download");
        if (output !== undefined && !download) throw new UsageError("--output needs --download");
        return { download, output };
    },
    run: async (params, context) => {
        const { stackDir } = context.target;
        const client = await context.connect();
        try {
            const status = await runRemote(client, backupCommand(stackDir), out);
            if (status !== 0 || !params.download) return status;
            const outputDir = resolve(params.output ?? "backups");
            return await downloadNewestBackup(client, stackDir, outputDir);
        } finally {
            client.end();
        }
    },
});

async function confirmRestore(context: OpsContext, file: string): Promise<void> {
    if (!context.terminal) {
        throw new UsageError(
            "restore replaces the database: pass --yes to confirm (no terminal to ask on)",
        );
    }
    const { stack, host } = context.target;
    const answer = await context.ask(
        `Restore ${file} into the database of stack ${stack} on ${host}? ` +
            `The current data is replaced. Type the stack name (${stack}) to go on: `,
    );
    if (answer !== stack) throw new Error("not confirmed; nothing was changed");
}

const restore = defineCommand({
    name: "restore",
    args: "<file>",
    summary: [
        "run scripts/restore-postgres.sh <file> on the host (a backup name or",
        "path there); asks first unless --yes",
    ],
    options: {
        upload: { type: "boolean", description: "send <file> from this machine first" },
        yes: { type: "boolean", short: "y", description: "do not ask for confirmation" },
    },
    parse: (values, positionals) => {
        if (positionals.length !== 1) throw new UsageError("restore needs exactly one <file>");
        return { file: positionals[0]!, upload: flag(values, "upload"), yes: flag(values, "yes") };
    },
    run: async (params, context) => {
        const { stackDir } = context.target;
        if (params.upload && !existsSync(params.file)) {
            throw new Error(`${params.file}: no such local file to upload`);
        }
        if (!params.yes) await confirmRestore(context, params.file);
        const client = await context.connect();
        try {
            let remoteFile = params.file;
            if (params.upload) {
                const uploaded = await uploadBackup(client, stackDir, params.file);
                if (uploaded.status !== 0) return uploaded.status;
                remoteFile = uploaded.remoteFile;
            }
            return await runRemote(client, restoreCommand(stackDir, remoteFile), out);
        } finally {
            client.end();
        }
    },
});

const ssh = defineCommand({
    name: "ssh",
    summary: ["a login shell on the host in the stack dir"],
    parse: (_values, positionals) => noPositionals("ssh", positionals),
    run: (_params, context) =>
        runOnHost(context, {
            text: shellCommand(context.target.stackDir),
            stdin: true,
            pty: context.terminal,
        }),
});

export const COMMANDS: readonly AnyCommand[] = [
    status,
    check,
    logs,
    psql,
    exec,
    backup,
    restore,
    ssh,
];
