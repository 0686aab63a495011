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
import { basename, join } from "node:path";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import type { Client } from "ssh2";
import { runRemote } from "../lib/ssh-connect";
import { backupDir, catCommand, newestBackupCommand, uploadCommand } from "./remote-commands";

/** Copies backups between the laptop and the host over the ops connection. */

const out = { stdout: process.stdout, stderr: process.stderr };

/** Runs a command and returns its stdout as text (errors still go to our stderr). */
export async function capture(
    client: Client,
    command: string,
): Promise<{ status: number; text: string }> {
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

/** Copies the newest finished backup into `outputDir` (0600), checking its size. */
export async function downloadNewestBackup(
    client: Client,
    stackDir: string,
    outputDir: string,
): Promise<number> {
    const newest = await capture(client, newestBackupCommand(stackDir));
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
        const status = await runRemote(client, catCommand(`${backupDir(stackDir)}/${name}`), {
            stdout: file,
            stderr: process.stderr,
        });
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

/** Uploads a local dump into the host's backup dir; resolves to its path there (or a status). */
export async function uploadBackup(
    client: Client,
    stackDir: string,
    file: string,
): Promise<{ status: number; remoteFile: string }> {
    const name = basename(file);
    const status = await runRemote(client, uploadCommand(stackDir, name), {
        ...out,
        stdin: createReadStream(file),
    });
    const remoteFile = `${backupDir(stackDir)}/${name}`;
    if (status === 0) console.error(`Uploaded ${file} to ${remoteFile}`);
    return { status, remoteFile };
}
