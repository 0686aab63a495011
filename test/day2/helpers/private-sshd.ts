import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "../../helpers/loopback-port";

/**
 * A throwaway OpenSSH server on 127.0.0.1 with its own host keys, client key, authorized_keys and
 * config (test-host-lab.md section 1). `SetEnv PATH=<binDir>:...` puts the test's fake executables
 * (docker) first on the PATH of every session. Stop it by PID with `stop()`.
 */
export interface PrivateSshd {
    readonly dir: string;
    readonly port: number;
    /** Directory first on the session PATH: put fake executables here. */
    readonly binDir: string;
    readonly clientKeyPath: string;
    /** `ssh-ed25519 AAAA... comment` of the server (the ed25519 key when it has one). */
    readonly hostKeyPub: string;
    /** The ed25519 host key's .pub file (else the first type's). */
    readonly hostKeyPubPath: string;
    readonly logPath: string;
    stop(): Promise<void>;
}

function keygen(path: string, type: string): void {
    const args = ["-q", "-t", type, "-N", "", "-f", path, "-C", "day2-test"];
    const result = spawnSync("ssh-keygen", args, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`ssh-keygen -t ${type} failed: ${result.stderr}`);
}

export interface SshdOptions {
    /** Host key types in the order sshd lists them (default: ed25519 only). */
    readonly hostKeyTypes?: readonly ("ed25519" | "ecdsa" | "rsa")[];
}

export async function startSshd(options: SshdOptions = {}): Promise<PrivateSshd> {
    const dir = mkdtempSync(join(tmpdir(), "day2-sshd-"));
    const binDir = join(dir, "bin");
    mkdirSync(binDir);
    mkdirSync("/run/sshd", { recursive: true });
    const types = options.hostKeyTypes ?? ["ed25519"];
    for (const type of types) keygen(join(dir, `hostkey_${type}`), type);
    const clientKeyPath = join(dir, "client_ed25519");
    keygen(clientKeyPath, "ed25519");
    writeFileSync(join(dir, "authorized_keys"), readFileSync(`${clientKeyPath}.pub`));
    chmodSync(join(dir, "authorized_keys"), 0o600);
    const port = await freePort();
    const logPath = join(dir, "sshd.log");
    const config = [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        ...types.map((type) => `HostKey ${join(dir, `hostkey_${type}`)}`),
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "UsePAM no",
        "StrictModes no",
        `SetEnv PATH=${binDir}:/usr/bin:/bin`,
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        "LogLevel VERBOSE",
        "",
    ].join("\n");
    const configPath = join(dir, "sshd_config");
    writeFileSync(configPath, config);
    // -D: stay in the foreground so the child's PID is sshd's own PID.
    const child = spawn("/usr/sbin/sshd", ["-D", "-f", configPath, "-E", logPath], {
        stdio: "ignore",
    });
    const stop = async (): Promise<void> => {
        if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve));
            child.kill("SIGTERM");
            await exited;
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitForPort(port, () =>
            child.exitCode === null
                ? undefined
                : `sshd exited with ${child.exitCode}: ${readFileSync(logPath, "utf8")}`,
        );
    } catch (error) {
        await stop();
        throw error;
    }
    const primary = types.includes("ed25519") ? "ed25519" : types[0];
    const hostKeyPubPath = join(dir, `hostkey_${primary}.pub`);
    return {
        dir,
        port,
        binDir,
        clientKeyPath,
        hostKeyPub: readFileSync(hostKeyPubPath, "utf8").trim(),
        hostKeyPubPath,
        logPath,
        stop,
    };
}
