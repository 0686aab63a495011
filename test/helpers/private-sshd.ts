import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./loopback-port";

export interface SshdSettings {
    /** Host key file name inside the work dir (generated on first use). */
    readonly hostKey: string;
    /** Banner text, or undefined for no banner. */
    readonly banner?: string;
    readonly passwordAuthentication: boolean;
}

/**
 * A throwaway sshd with its own config and host keys; stop() kills it by PID. By default on
 * 127.0.0.1 and a free port; inside a network namespace of its own a test may give both. It only
 * answers handshakes (host key, banner) for the Timeweb host-key tests and the engine lab; the
 * day-2 tests' sshd, which runs commands, is test/day2/helpers/private-sshd.ts.
 */
export class PrivateSshd {
    readonly dir = mkdtempSync(join(tmpdir(), "timeweb-sshd-"));
    port: number;
    private readonly listenAddress: string;
    private child: ChildProcess | undefined;

    constructor(where: { port?: number; listenAddress?: string } = {}) {
        this.port = where.port ?? 0;
        this.listenAddress = where.listenAddress ?? "127.0.0.1";
    }

    /** `ssh-ed25519 AAAA...` of a host key file, generating it if needed. */
    publicKey(name: string): string {
        const path = join(this.dir, name);
        try {
            readFileSync(path);
        } catch {
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path]);
        }
        return readFileSync(`${path}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
    }

    fingerprint(name: string): string {
        return execFileSync(
            "ssh-keygen",
            ["-l", "-E", "sha256", "-f", join(this.dir, `${name}.pub`)],
            { encoding: "utf8" },
        ).split(" ")[1]!;
    }

    async start(settings: SshdSettings): Promise<void> {
        await this.stop();
        if (this.port === 0) this.port = await freePort();
        this.publicKey(settings.hostKey);
        const lines = [
            `Port ${this.port}`,
            `ListenAddress ${this.listenAddress}`,
            `HostKey ${join(this.dir, settings.hostKey)}`,
            `PidFile ${join(this.dir, "sshd.pid")}`,
            "UsePAM no",
            "StrictModes no",
            "PubkeyAuthentication yes",
            `PasswordAuthentication ${settings.passwordAuthentication ? "yes" : "no"}`,
            `KbdInteractiveAuthentication ${settings.passwordAuthentication ? "yes" : "no"}`,
            "PermitRootLogin prohibit-password",
            "AuthorizedKeysFile none",
        ];
        if (settings.banner !== undefined) {
            writeFileSync(join(this.dir, "banner"), `${settings.banner}\n`);
            lines.push(`Banner ${join(this.dir, "banner")}`);
        }
        const config = join(this.dir, "sshd_config");
        writeFileSync(config, `${lines.join("\n")}\n`);
        this.child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: "ignore" });
        await waitForPort(this.port);
    }

    async stop(): Promise<void> {
        const child = this.child;
        this.child = undefined;
        if (child === undefined || child.exitCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
    }

    async destroy(): Promise<void> {
        await this.stop();
        rmSync(this.dir, { recursive: true, force: true });
    }
}
