import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private OpenSSH ssh-agent on a socket of its own; stop it by its PID with `stop()`. */
export interface PrivateAgent {
    readonly socket: string;
    /** ssh-add, in order: the agent offers keys in the order they were added. */
    add(keyPath: string, passphrase?: string): void;
    /** ssh-add -D */
    clear(): void;
    stop(): Promise<void>;
}

export async function startAgent(): Promise<PrivateAgent> {
    const dir = mkdtempSync(join(tmpdir(), "agent-"));
    const socket = join(dir, "agent.sock");
    // -D: stay in the foreground, so the child's PID is the agent's.
    const child = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(socket); i++)
        await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(socket)) {
        child.kill("SIGTERM");
        throw new Error("ssh-agent did not create its socket");
    }
    const sshAdd = (args: string[], env: NodeJS.ProcessEnv = {}) => {
        const result = spawnSync("ssh-add", args, {
            env: { PATH: process.env.PATH, SSH_AUTH_SOCK: socket, ...env },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        if (result.status !== 0)
            throw new Error(`ssh-add ${args.join(" ")} failed: ${result.stderr}`);
    };
    return {
        socket,
        add(keyPath, passphrase) {
            if (passphrase === undefined) return sshAdd([keyPath]);
            // ssh-add asks through SSH_ASKPASS when it has no terminal.
            const askpass = join(dir, "askpass");
            writeFileSync(
                askpass,
                `#!/bin/sh\nprintf '%s\\n' '${passphrase.replace(/'/g, "'\\''")}'\n`,
            );
            chmodSync(askpass, 0o700);
            sshAdd([keyPath], {
                SSH_ASKPASS: askpass,
                SSH_ASKPASS_REQUIRE: "force",
                DISPLAY: ":0",
            });
            rmSync(askpass);
        },
        clear() {
            sshAdd(["-D"]);
        },
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                const exited = new Promise((resolve) => child.once("exit", resolve));
                child.kill("SIGTERM");
                await exited;
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
