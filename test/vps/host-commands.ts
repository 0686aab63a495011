import { execFile } from "node:child_process";

/** Runs a program on the CI machine (no shell); throws with its stderr when it fails. */
export function host(
    program: string,
    args: readonly string[],
    options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile(
            program,
            args,
            { maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
            (error, stdout, stderr) => {
                if (error) {
                    const command = [program, ...args].join(" ");
                    reject(new Error(`${command} failed: ${stderr.trim() || error.message}`));
                } else {
                    resolve(stdout);
                }
            },
        );
        // A program that exits without reading its stdin must not crash us with EPIPE.
        child.stdin?.on("error", () => undefined);
        child.stdin?.end(options.input ?? "");
    });
}

/** Like `host`, but reports success instead of throwing. */
export async function hostSucceeds(program: string, args: readonly string[]): Promise<boolean> {
    try {
        await host(program, args);
        return true;
    } catch {
        return false;
    }
}

export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

export async function waitUntil(
    condition: () => boolean | Promise<boolean>,
    timeoutMs: number,
    intervalMs = 200,
): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await condition()) return true;
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    return condition();
}
