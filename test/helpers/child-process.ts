import { spawn } from "node:child_process";

export interface RunResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

export interface StartedProcess {
    readonly pid: number;
    readonly result: Promise<RunResult>;
}

export interface RunOptions {
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
    /** Written to the child's stdin, which is then closed. */
    readonly input?: string;
}

/**
 * Starts `file` with `input` on its stdin and collects its output. A child may exit before it
 * reads its stdin (a client that fails to connect, a CLI that rejects its flags): the write then
 * fails with EPIPE on the pipe, which would otherwise surface as an unhandled error in the test
 * run. The exit code and stderr already tell that story, so the pipe's error is dropped.
 */
export function startProcess(
    file: string,
    args: readonly string[],
    options: RunOptions = {},
): StartedProcess {
    const child = spawn(file, [...args], {
        env: options.env,
        cwd: options.cwd,
        stdio: ["pipe", "pipe", "pipe"],
    });
    const result = new Promise<RunResult>((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
    });
    if (child.pid === undefined) {
        result.catch(() => undefined); // the error is thrown here instead
        throw new Error(`${file} did not start`);
    }
    return { pid: child.pid, result };
}

/** Runs `file` to its end; a file that cannot be started rejects with spawn's error. */
export async function runProcess(
    file: string,
    args: readonly string[],
    options: RunOptions = {},
): Promise<RunResult> {
    return startProcess(file, args, options).result;
}
