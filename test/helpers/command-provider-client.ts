import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { RunResult, runProcess } from "./child-process";

/**
 * The SSH client of @pulumi/command's remote.Command, rebuilt on the library and settings of
 * provider v1.2.1 (test/ssh-clients/command-provider/main.go). Built with `go build` into
 * build/ssh-clients/ when missing or older than its sources (scripts/install-deps.sh builds it
 * ahead).
 */

const repo = resolve(__dirname, "../..");
const sources = join(repo, "test/ssh-clients/command-provider");
const binary = join(repo, "build/ssh-clients/command-provider");

export function commandProviderClient(): string {
    const newest = Math.max(
        ...readdirSync(sources).map((name) => statSync(join(sources, name)).mtimeMs),
    );
    if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return binary;
    mkdirSync(join(repo, "build/ssh-clients"), { recursive: true });
    const build = spawnSync("go", ["build", "-mod=readonly", "-o", binary, "."], {
        cwd: sources,
        encoding: "utf8",
    });
    if (build.status !== 0)
        throw new Error(`go build of the command provider's client failed: ${build.stderr}`);
    return binary;
}

export interface CommandConnection {
    readonly host: string;
    readonly port: number;
    /** connection.hostKey; omitted: not checked. */
    readonly hostKey?: string;
    readonly privateKeyFile?: string;
    /** connection.privateKeyPassword. */
    readonly privateKeyPassword?: string;
    /** connection.agentSocketPath; "" means no agent at all. */
    readonly agentSocket?: string;
}

/** On failure, stderr is the provider's error text (what `pulumi up` would print). */
export type CommandRun = RunResult;

/** Runs one command with its stdin as a remote.Command step does. */
export function runCommand(
    connection: CommandConnection,
    command: string,
    stdin = "",
): Promise<CommandRun> {
    const args = ["-host", connection.host, "-port", String(connection.port), "-command", command];
    if (connection.hostKey !== undefined) args.push("-host-key", connection.hostKey);
    if (connection.privateKeyFile !== undefined)
        args.push("-private-key-file", connection.privateKeyFile);
    if (connection.privateKeyPassword !== undefined)
        args.push("-private-key-password-env", "KEY_PASSPHRASE");
    if (connection.agentSocket) args.push("-agent-socket", connection.agentSocket);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    if (connection.privateKeyPassword !== undefined)
        env.KEY_PASSPHRASE = connection.privateKeyPassword;
    return runProcess(commandProviderClient(), args, { env, input: stdin });
}
