import {
    createReadStream,
    createWriteStream,
    existsSync,
    mkdirSync,
    renameSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import type { Client } from "ssh2";
import { connectPinned, resolveCredentials, runRemote } from "../lib/ssh-connect";
import { parseArgs, USAGE, UsageError, type GlobalOptions, type OpsCommand } from "./args";
import {
    backupCommand,
    backupDir,
    catCommand,
    execCommand,
    logsCommand,
    newestBackupCommand,
    psqlCommand,
    restoreCommand,
    shellCommand,
    statusCommand,
    uploadCommand,
} from "./remote-commands";
import { resolveTarget, type OpsTarget } from "./stack-target";

/** `npm run ops -- <command>`: see USAGE in args.ts. */

const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const out = { stdout: process.stdout, stderr: process.stderr };

async function ask(question: string): Promise<string> {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
        return (await rl.question(question)).trim();
    } finally {
        rl.close();
    }
}

async function connect(target: OpsTarget, global: GlobalOptions): Promise<Client> {
    const credentials = resolveCredentials({ identity: global.identity });
    return connectPinned(target, credentials);
}

/** Runs a command and returns its stdout as text (errors still go to our stderr). */
async function capture(client: Client, command: string): Promise<{ status: number; text: string }> {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (chunk: Buffer) => chunks.push(chunk));
    const status = await runRemote(client, command, { stdout: sink, stderr: process.stderr });
    return { status, text: Buffer.concat(chunks).toString("utf8") };
}

/** The output dir ignores its own contents, so a dump never ends up in a commit. */
function prepareOutputDir(dir: string): void {
    if (existsSync(dir)) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, ".gitignore"), "# database dumps downloaded by `ops backup`\n*\n");
}

async function download(client: Client, target: OpsTarget, outputDir: string): Promise<number> {
    const newest = await capture(client, newestBackupCommand(target.stackDir));
    if (newest.status !== 0) return newest.status;
    const match = /^(\d+) (.+)$/.exec(newest.text.trim());
    if (!match) throw new Error(`unexpected answer from the host: ${JSON.stringify(newest.text)}`);
    const [, sizeText, name] = match as unknown as [string, string, string];
    if (name.includes("/")) throw new Error(`unexpected backup name ${name}`);
    prepareOutputDir(outputDir);
    const destination = join(outputDir, name);
    const partial = join(outputDir, `.${name}.part`);
    const file = createWriteStream(partial, { mode: 0o600 });
    try {
        const status = await runRemote(
            client,
            catCommand(`${backupDir(target.stackDir)}/${name}`),
            {
                stdout: file,
                stderr: process.stderr,
            },
        );
        file.end();
        await finished(file);
        if (status !== 0) return status;
        const size = statSync(partial).size;
        if (size !== Number(sizeText)) {
            throw new Error(
                `download of ${name} is incomplete (${size} of ${sizeText} bytes); try again`,
            );
        }
        renameSync(partial, destination);
    } finally {
        rmSync(partial, { force: true });
    }
    console.log(`Downloaded ${destination} (${sizeText} bytes)`);
    return 0;
}

async function confirmRestore(target: OpsTarget, file: string): Promise<void> {
    if (!terminal) {
        throw new UsageError(
            "restore replaces the database: pass --yes to confirm (no terminal to ask on)",
        );
    }
    const answer = await ask(
        `Restore ${file} into the database of stack ${target.stack} on ${target.host}? ` +
            `The current data is replaced. Type the stack name (${target.stack}) to go on: `,
    );
    if (answer !== target.stack) throw new Error("not confirmed; nothing was changed");
}

async function restore(
    client: Client,
    target: OpsTarget,
    file: string,
    upload: boolean,
): Promise<number> {
    let remoteFile = file;
    if (upload) {
        const name = basename(file);
        const status = await runRemote(client, uploadCommand(target.stackDir, name), {
            ...out,
            stdin: createReadStream(file),
        });
        if (status !== 0) return status;
        remoteFile = `${backupDir(target.stackDir)}/${name}`;
        console.error(`Uploaded ${file} to ${remoteFile}`);
    }
    return runRemote(client, restoreCommand(target.stackDir, remoteFile), out);
}

/** One remote command per ops command, built before connecting so bad input fails fast. */
function simpleCommand(
    command: OpsCommand,
    stackDir: string,
): { text: string; stdin: boolean; pty: boolean } | undefined {
    switch (command.name) {
        case "status":
            return { text: statusCommand(stackDir), stdin: false, pty: false };
        case "logs": {
            const text = logsCommand(stackDir, { ...command, color: terminal });
            return { text, stdin: command.follow && terminal, pty: command.follow && terminal };
        }
        case "psql":
            return {
                text: psqlCommand(stackDir, terminal, command.args),
                stdin: true,
                pty: terminal,
            };
        case "exec": {
            const text = execCommand(stackDir, terminal, command.service, command.command);
            return { text, stdin: true, pty: terminal };
        }
        case "ssh":
            return { text: shellCommand(stackDir), stdin: true, pty: terminal };
        default:
            return undefined;
    }
}

async function run(argv: readonly string[]): Promise<number> {
    const { global, command } = parseArgs(argv);
    if (command.name === "help") {
        console.log(USAGE);
        return 0;
    }
    const target = resolveTarget(process.cwd(), global.stack, process.env);
    const simple = simpleCommand(command, target.stackDir);
    if (command.name === "restore") {
        if (command.upload && !existsSync(command.file)) {
            throw new Error(`${command.file}: no such local file to upload`);
        }
        if (!command.yes) await confirmRestore(target, command.file);
    }
    const client = await connect(target, global);
    try {
        if (simple !== undefined) {
            return await runRemote(client, simple.text, {
                ...out,
                stdin: simple.stdin ? process.stdin : undefined,
                pty: simple.pty,
            });
        }
        if (command.name === "backup") {
            const status = await runRemote(client, backupCommand(target.stackDir), out);
            if (status !== 0 || !command.download) return status;
            return await download(client, target, resolve(command.output ?? "backups"));
        }
        if (command.name === "restore") {
            return await restore(client, target, command.file, command.upload);
        }
        throw new Error(`unhandled command ${command.name}`);
    } finally {
        client.end();
    }
}

if (require.main === module) {
    run(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: Error) => {
            if (error instanceof UsageError) {
                console.error(`ops: ${error.message}\n\n${USAGE}`);
                process.exit(2);
            }
            console.error(`ops: ${error.message}`);
            process.exit(1);
        },
    );
}
