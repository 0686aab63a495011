import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
    closeSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    openSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { host, isAlive, waitUntil } from "./host-commands";
import { prepareImageContexts } from "./images";
import { imageRootfsMount, shareMount } from "./mounts";
import { createVpsNetwork, removeVpsNetwork, VpsNetwork } from "./network";
import { SshSession, SshTarget, waitForSsh } from "./ssh";

/** How sshd is started on the fresh VPS: ssh.socket as on Ubuntu 24.04, or a classic ssh.service. */
export type SshStartMode = "service" | "socket";

/** The Debian release the test VPS runs: 13 (the default, closest to Ubuntu 24.04) or 12. */
export const debianReleases = ["trixie", "bookworm"] as const;
export type DebianRelease = (typeof debianReleases)[number];

/** TEST_VPS_RELEASE picks the release of every VPS that does not name its own (default trixie). */
export function defaultRelease(): DebianRelease {
    const fromEnv = process.env.TEST_VPS_RELEASE;
    if (fromEnv === undefined || fromEnv === "") return "trixie";
    return parseRelease(fromEnv);
}

export function parseRelease(name: string): DebianRelease {
    const release = debianReleases.find((candidate) => candidate === name);
    if (!release)
        throw new Error(`unknown Debian release ${name}: use ${debianReleases.join(" or ")}`);
    return release;
}

export interface VpsOptions {
    /** Default: socket, as on Ubuntu 24.04. */
    readonly sshMode?: SshStartMode;
    /** Default: defaultRelease(). */
    readonly release?: DebianRelease;
    /** Progress lines for people (the sandbox prints them). */
    readonly log?: (line: string) => void;
}

/** What a run leaves on disk so that a later run can clean up after a killed one. */
interface RunState {
    readonly ownerPid: number;
    readonly network: VpsNetwork;
    nspawnPid?: number;
}

const repoDir = resolve(__dirname, "../..");
const vpsBuildDir = join(repoDir, "build/vps");
const runsDir = join(vpsBuildDir, "runs");
const logsDir = join(vpsBuildDir, "logs");
const bootTimeoutMs = 90_000;
const stopTimeoutMs = 90_000;

/** Builds the release's rootfs cache if needed (build-rootfs.sh) and returns its directory. */
export async function ensureRootfs(release: DebianRelease): Promise<string> {
    const out = await host("bash", [join(__dirname, "build-rootfs.sh"), "--release", release]);
    return out.trim().split("\n").at(-1) as string;
}

/**
 * A disposable "VPS": a copy of the cached Debian rootfs booted by systemd-nspawn (systemd as
 * PID 1, Docker-capable) in its own network namespace, reachable over SSH at 10.200.<n>.2.
 */
export class TestVps {
    private nspawn?: ChildProcess;

    private constructor(
        readonly release: DebianRelease,
        readonly sshMode: SshStartMode,
        readonly runDir: string,
        readonly rootfsCache: string,
        readonly network: VpsNetwork,
        readonly privateKey: string,
        readonly rootPassword: string,
        private readonly state: RunState,
        private readonly log: (line: string) => void,
    ) {}

    get rootDir(): string {
        return join(this.runDir, "root");
    }

    get target(): SshTarget {
        return this.targetOn(22);
    }

    /** The VPS's sshd on another port (after a port change). */
    targetOn(port: number): SshTarget {
        return { host: this.network.vpsAddress, port, username: "root" };
    }

    static async create(options: VpsOptions = {}): Promise<TestVps> {
        const log = options.log ?? (() => undefined);
        const release = options.release ?? defaultRelease();
        const sshMode = options.sshMode ?? "socket";
        await cleanupStaleRuns(log);
        log(`building or reusing the cached Debian ${release} rootfs (build/vps/)`);
        const rootfsCache = await ensureRootfs(release);
        mkdirSync(runsDir, { recursive: true });
        const runDir = join(runsDir, `${process.pid}-${randomBytes(3).toString("hex")}`);
        mkdirSync(runDir);
        let network: VpsNetwork | undefined;
        try {
            log("copying the rootfs");
            await host("cp", ["-a", join(rootfsCache, "vps"), join(runDir, "root")]);
            log("personalising");
            const { privateKey, rootPassword } = await personalise(runDir, sshMode, release);
            prepareImageContexts(join(runDir, "share"));
            log("network");
            network = await withLock(() => createVpsNetwork());
            const state: RunState = { ownerPid: process.pid, network };
            writeFileSync(join(runDir, "state.json"), JSON.stringify(state));
            const vps = new TestVps(
                release,
                sshMode,
                runDir,
                rootfsCache,
                network,
                privateKey,
                rootPassword,
                state,
                log,
            );
            await vps.boot().catch(async (error: unknown) => {
                await vps.destroy();
                throw error;
            });
            return vps;
        } catch (error) {
            if (network) await removeVpsNetwork(network);
            rmSync(runDir, { recursive: true, force: true });
            throw error;
        }
    }

    /** Starts the container and waits for a root key login. */
    async boot(): Promise<void> {
        const console = openSync(join(this.runDir, "console.log"), "a");
        const args = [
            "-D",
            this.rootDir,
            "--boot",
            "--register=no",
            "--keep-unit",
            "--console=read-only",
            `--network-namespace-path=/run/netns/${this.network.netns}`,
            `--machine=${this.network.netns}`,
            "--capability=all",
            "--system-call-filter=add_key keyctl bpf",
            "--resolv-conf=copy-host",
            // The VPS keeps its own timezone (the provisioning sets it) across reboots.
            "--timezone=off",
            `--bind-ro=${this.rootfsCache}:${imageRootfsMount}`,
            `--bind-ro=${join(this.runDir, "share")}:${shareMount}`,
        ];
        // Own process group: a Ctrl-C in the terminal reaches us, and we power the VPS off.
        this.nspawn = spawn("systemd-nspawn", args, {
            detached: true,
            stdio: ["ignore", console, console],
            env: { ...process.env, SYSTEMD_NSPAWN_API_VFS_WRITABLE: "1" },
        });
        closeSync(console);
        this.nspawn.unref();
        this.state.nspawnPid = this.nspawn.pid;
        writeFileSync(join(this.runDir, "state.json"), JSON.stringify(this.state));
        this.log(
            `booting the test VPS (systemd-nspawn pid ${this.nspawn.pid}) at ${this.target.host}`,
        );
        const session = await waitForSsh(
            this.target,
            { privateKey: this.privateKey },
            bootTimeoutMs,
        ).catch((error: Error) => {
            throw new Error(`${error.message}\nconsole: ${this.consoleTail()}`);
        });
        try {
            await session.exec("systemctl is-system-running --wait", { timeoutMs: bootTimeoutMs });
        } finally {
            session.close();
        }
    }

    /** A new root session that logs in with the test key (on another port after a port change). */
    session(port = 22): Promise<SshSession> {
        return waitForSsh(this.targetOn(port), { privateKey: this.privateKey }, 20_000);
    }

    /** Powers the VPS off from inside (`systemctl poweroff`) and waits until nspawn exits. */
    async poweroff(): Promise<void> {
        const pid = this.state.nspawnPid;
        if (pid === undefined || !isAlive(pid)) return;
        const session = await this.session();
        await session.exec("systemctl poweroff", { timeoutMs: 10_000 }).catch(() => undefined);
        session.close();
        if (!(await waitUntil(() => !isAlive(pid), stopTimeoutMs))) {
            throw new Error(`the test VPS did not power off within ${stopTimeoutMs} ms`);
        }
    }

    /** Stops everything this VPS started and deletes its files; safe to call twice. */
    async destroy(): Promise<void> {
        await destroyRun(this.runDir, this.state, this.log);
    }

    consoleTail(lines = 30): string {
        const path = join(this.runDir, "console.log");
        if (!existsSync(path)) return "(no console log)";
        return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
    }
}

/** Per-run identity: a fresh root password, a fresh SSH key, a machine id, the sshd start mode. */
async function personalise(runDir: string, sshMode: SshStartMode, release: DebianRelease) {
    const root = join(runDir, "root");
    const keyPath = join(runDir, "id_ed25519");
    await host("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "e2e-test-vps",
        "-f",
        keyPath,
    ]);
    mkdirSync(join(root, "root/.ssh"), { recursive: true, mode: 0o700 });
    copyFileSync(`${keyPath}.pub`, join(root, "root/.ssh/authorized_keys"));
    const rootPassword = randomBytes(18).toString("base64url");
    await host("chroot", [root, "chpasswd"], { input: `root:${rootPassword}\n` });
    writeFileSync(join(root, "etc/machine-id"), `${randomBytes(16).toString("hex")}\n`);
    if (sshMode === "socket") {
        // As Ubuntu 24.04 ships it: ssh.socket listens, the first connection starts ssh.service.
        await host("systemctl", [`--root=${root}`, "disable", "--quiet", "ssh.service"]);
        await host("systemctl", [`--root=${root}`, "enable", "--quiet", "ssh.socket"]);
        if (release === "bookworm") {
            const dropIn = join(root, "etc/systemd/system/ssh.socket.d");
            mkdirSync(dropIn, { recursive: true });
            writeFileSync(
                join(dropIn, "e2e-accept.conf"),
                "# Test VPS only: one sshd -i per connection (Debian 12's sshd has no socket activation).\n" +
                    "[Socket]\nAccept=yes\n",
            );
        }
    }
    return { privateKey: readFileSync(keyPath, "utf8"), rootPassword };
}

async function destroyRun(runDir: string, state: RunState, log: (line: string) => void) {
    const pid = state.nspawnPid;
    if (pid !== undefined && isAlive(pid)) {
        log(`stopping the test VPS (systemd-nspawn pid ${pid})`);
        // A short chance for a clean halt; nothing of a test VPS needs to survive, and a halt
        // waits for every Docker container (live-restore keeps them past dockerd).
        for (const [signal, waitMs] of [
            ["SIGTERM", 5_000],
            ["SIGKILL", 10_000],
        ] as const) {
            if (!isAlive(pid)) break;
            process.kill(pid, signal);
            await waitUntil(() => !isAlive(pid), waitMs);
        }
    }
    // The container's init outlives a killed nspawn; killing it ends its whole PID namespace
    // (the Docker containers inside too). It is the one process left in the VPS's netns.
    const pids = await host("ip", ["netns", "pids", state.network.netns]).catch(() => "");
    for (const leftover of pids.split("\n").filter(Boolean)) {
        try {
            process.kill(Number(leftover), "SIGKILL");
        } catch {
            // already gone
        }
    }
    await removeVpsNetwork(state.network);
    mkdirSync(logsDir, { recursive: true });
    const consoleLog = join(runDir, "console.log");
    if (existsSync(consoleLog))
        copyFileSync(consoleLog, join(logsDir, `${runDir.split("/").at(-1)}.log`));
    rmSync(runDir, { recursive: true, force: true });
    log("test VPS removed: process stopped, namespace and NAT rule deleted");
}

/**
 * Removes runs whose owning process died without tearing down (kill -9, a crash), or, with
 * `ownerPid`, the runs of that process (the sandbox after a Ctrl-C during boot).
 */
export async function cleanupStaleRuns(
    log: (line: string) => void,
    ownerPid?: number,
): Promise<void> {
    if (!existsSync(runsDir)) return;
    const shouldGo = (pid: number) => (ownerPid === undefined ? !isAlive(pid) : pid === ownerPid);
    for (const name of readdirSync(runsDir)) {
        const runDir = join(runsDir, name);
        const statePath = join(runDir, "state.json");
        if (!existsSync(statePath)) {
            if (shouldGo(Number(name.split("-")[0])))
                rmSync(runDir, { recursive: true, force: true });
            continue;
        }
        const state = JSON.parse(readFileSync(statePath, "utf8")) as RunState;
        if (shouldGo(state.ownerPid)) {
            log(`cleaning up the test VPS run ${name}`);
            await destroyRun(runDir, state, log);
        }
    }
}

async function withLock<T>(action: () => Promise<T>): Promise<T> {
    const lockDir = join(vpsBuildDir, "network.lock");
    const ownerFile = join(lockDir, "pid");
    const acquired = await waitUntil(
        () => {
            try {
                mkdirSync(lockDir);
                writeFileSync(ownerFile, String(process.pid));
                return true;
            } catch {
                const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, "utf8")) : 0;
                if (owner > 0 && !isAlive(owner)) rmSync(lockDir, { recursive: true, force: true });
                return false;
            }
        },
        30_000,
        100,
    );
    if (!acquired)
        throw new Error(`could not take ${lockDir}; remove it if no test VPS is starting`);
    try {
        return await action();
    } finally {
        rmSync(lockDir, { recursive: true, force: true });
    }
}
