import { spawn } from "node:child_process";
import {
    chmodSync,
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    readlinkSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseOperationsConfig } from "../../../components/config/operations-config";
import type { OperationsPaths } from "../../../components/plan/host-layout";
import { OperationsInput, operationsFiles } from "../../../components/plan/operations-plan";
import { RunResult, runProcess, StartedProcess, startProcess } from "../../helpers/child-process";

export const BOT = "mpcabinet-picture-bot";
export const SERVICES = ["postgres", "telegram-bot-api", BOT] as const;

/** The operations input of a stack in `stackDir`, from raw operations config blocks. */
export function operationsInput(stackDir: string, raw: unknown = {}): OperationsInput {
    return {
        ...parseOperationsConfig(raw).config,
        stackDir,
        timezone: "Europe/Moscow",
        postgres: { db: "telegram_ecosystem", user: "telegram_admin" },
        bots: [{ name: BOT }],
    };
}

/**
 * A temporary stack directory with the rendered operations scripts, plus a fake `docker` and
 * `systemctl` first on PATH. Every path the scripts use points inside `root`.
 */
export class OpsSandbox {
    readonly root: string;
    readonly stackDir: string;
    readonly backupDir: string;
    readonly binDir: string;
    readonly dockerState: string;
    readonly systemdState: string;
    readonly healthState: string;
    readonly paths: OperationsPaths;
    readonly extraEnv: Record<string, string> = {};

    constructor(raw: unknown = {}) {
        this.root = mkdtempSync(path.join(tmpdir(), "ops-test-"));
        this.stackDir = path.join(this.root, "stack");
        this.backupDir = path.join(this.stackDir, "backups");
        this.binDir = path.join(this.root, "bin");
        this.dockerState = path.join(this.root, "docker");
        this.systemdState = path.join(this.root, "systemd");
        this.healthState = path.join(this.root, "health-state");
        this.paths = {
            offsiteEnvFile: path.join(this.root, "etc", "backup-offsite.env"),
            alertEnvFile: path.join(this.root, "etc", "health-alerts.env"),
            lockDir: path.join(this.root, "lock"),
            procDir: path.join(this.root, "proc"),
            healthStateDir: this.healthState,
        };
        for (const dir of [this.binDir, this.systemdState, path.join(this.root, "etc")]) {
            mkdirSync(dir, { recursive: true });
        }
        for (const dir of ["services", "after", "ip", "log-config", "fail"]) {
            mkdirSync(path.join(this.dockerState, dir), { recursive: true });
        }
        const fakes = [
            ["docker", "fake-docker.sh"],
            ["systemctl", "fake-systemctl.sh"],
            ["df", "fake-df.sh"],
        ] as const;
        for (const [name, file] of fakes) {
            copyFileSync(path.join(__dirname, file), path.join(this.binDir, name));
            chmodSync(path.join(this.binDir, name), 0o755);
        }
        for (const service of SERVICES) this.setService(service, "running healthy");
        this.setFilesystem({
            sizeMb: 20_000,
            availMb: 12_000,
            inodes: 1_000_000,
            freeInodes: 900_000,
        });
        this.setMemory({ totalMb: 1_967, availableMb: 900 });
        this.setOomKills(0);
        writeFileSync(this.procFile("sys/kernel/random/boot_id"), "boot-1\n");
        this.render(raw);
    }

    /** (Re)renders the scripts for the given operations config. */
    render(raw: unknown): void {
        for (const file of operationsFiles(operationsInput(this.stackDir, raw), this.paths)) {
            if (!file.path.startsWith(this.stackDir)) continue;
            mkdirSync(path.dirname(file.path), { recursive: true });
            writeFileSync(file.path, file.content, { mode: 0o750 });
        }
    }

    script(name: string): string {
        return path.join(this.stackDir, "scripts", name);
    }

    setService(service: string, state: string): void {
        writeFileSync(path.join(this.dockerState, "services", service), `${state}\n`);
    }

    service(service: string): string {
        return readFileSync(path.join(this.dockerState, "services", service), "utf8").trim();
    }

    /** The state `up -d` / `restart` leaves the service in (default "running healthy"). */
    setAfterRepair(service: string, state: string): void {
        writeFileSync(path.join(this.dockerState, "after", service), `${state}\n`);
    }

    setDockerFile(kind: "ip" | "log-config", service: string, value: string): void {
        writeFileSync(path.join(this.dockerState, kind, service), `${value}\n`);
    }

    /** Makes a compose command or a Postgres tool fail until `clearFailure`. */
    failDocker(command: string): void {
        writeFileSync(path.join(this.dockerState, "fail", command), "");
    }

    clearFailure(command: string): void {
        rmSync(path.join(this.dockerState, "fail", command), { force: true });
    }

    /** What the fake `df` reports for every path (one filesystem, mounted at /). */
    setFilesystem(fs: {
        sizeMb: number;
        availMb: number;
        inodes: number;
        freeInodes: number;
    }): void {
        const line = `${fs.sizeMb} ${fs.availMb} ${fs.inodes} ${fs.freeInodes} /`;
        writeFileSync(path.join(this.root, "df"), `${line}\n`);
    }

    procFile(name: string): string {
        const file = path.join(this.paths.procDir, name);
        mkdirSync(path.dirname(file), { recursive: true });
        return file;
    }

    /** /proc/meminfo as the kernel writes it (kB). */
    setMemory(memory: {
        totalMb: number;
        availableMb: number;
        swapTotalMb?: number;
        swapFreeMb?: number;
    }): void {
        const kb = (mb: number) => String(mb * 1024).padStart(8);
        const swapTotal = memory.swapTotalMb ?? 2048;
        writeFileSync(
            this.procFile("meminfo"),
            `MemTotal:       ${kb(memory.totalMb)} kB\n` +
                `MemFree:        ${kb(Math.floor(memory.availableMb / 2))} kB\n` +
                `MemAvailable:   ${kb(memory.availableMb)} kB\n` +
                `Buffers:        ${kb(10)} kB\n` +
                `SwapTotal:      ${kb(swapTotal)} kB\n` +
                `SwapFree:       ${kb(memory.swapFreeMb ?? swapTotal)} kB\n`,
        );
    }

    /** /proc/vmstat with the oom_kill counter among its neighbours. */
    setOomKills(count: number): void {
        writeFileSync(
            this.procFile("vmstat"),
            `nr_free_pages 100000\npgmajfault 42\noom_kill ${count}\nnr_unstable 0\n`,
        );
    }

    setBootId(id: string): void {
        writeFileSync(this.procFile("sys/kernel/random/boot_id"), `${id}\n`);
    }

    setUnitFailed(unit: string, failed: boolean): void {
        const marker = path.join(this.systemdState, "failed", unit);
        mkdirSync(path.dirname(marker), { recursive: true });
        if (failed) writeFileSync(marker, "");
        else rmSync(marker, { force: true });
    }

    /** docker calls so far, one string per call ("compose -p telegram-ecosystem up -d x"). */
    dockerCalls(): string[] {
        return readLines(path.join(this.dockerState, "calls.log"));
    }

    systemctlCalls(): string[] {
        return readLines(path.join(this.systemdState, "calls.log"));
    }

    clearCalls(): void {
        rmSync(path.join(this.dockerState, "calls.log"), { force: true });
        rmSync(path.join(this.systemdState, "calls.log"), { force: true });
    }

    env(): NodeJS.ProcessEnv {
        return {
            PATH: `${this.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
            HOME: this.root,
            LANG: "C.UTF-8",
            TZ: "UTC",
            // As under systemd: the scripts then log to stderr only, not also through logger(1).
            INVOCATION_ID: "operations-test",
            STATE_DIRECTORY: this.healthState,
            FAKE_DOCKER_STATE: this.dockerState,
            FAKE_SYSTEMD_STATE: this.systemdState,
            FAKE_DF_FILE: path.join(this.root, "df"),
            ...this.extraEnv,
        };
    }

    run(file: string, args: readonly string[] = [], input?: string): Promise<RunResult> {
        return runProcess(file, args, { env: this.env(), cwd: this.root, input });
    }

    /** Like `run`, but returns at once with the process id and the result to come. */
    start(file: string, args: readonly string[] = []): StartedProcess {
        return startProcess(file, args, { env: this.env(), cwd: this.root });
    }

    cleanup(): void {
        rmSync(this.root, { recursive: true, force: true });
    }
}

/**
 * Whether a child of process `pid` is `flock <fd>` on `lockFile` (from /proc: the child's command
 * line names the descriptor, its fd link names the file), i.e. `pid` waits for or holds that lock.
 */
export function inFlockOn(pid: number, lockFile: string): boolean {
    const children = readProc(`/proc/${pid}/task/${pid}/children`).trim();
    return (
        children !== "" &&
        children.split(" ").some((child) => {
            const argv = readProc(`/proc/${child}/cmdline`).split("\0").filter(Boolean);
            const fd = argv.at(-1) ?? "";
            if (path.basename(argv[0] ?? "") !== "flock" || !/^\d+$/.test(fd)) return false;
            try {
                return readlinkSync(`/proc/${child}/fd/${fd}`) === lockFile;
            } catch {
                return false; // the child ended meanwhile
            }
        })
    );
}

function readProc(file: string): string {
    try {
        return readFileSync(file, "utf8");
    } catch {
        return "";
    }
}

function readLines(file: string): string[] {
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line !== "");
}

/** Holds an flock on `file` (as another backup or restore would) until `release`. */
export async function holdLock(file: string): Promise<{ release: () => void }> {
    mkdirSync(path.dirname(file), { recursive: true });
    const child = spawn("flock", ["--no-fork", file, "sh", "-c", "echo locked; exec sleep 600"], {
        stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`flock exited early with ${code}`)));
        child.stdout.once("data", () => resolve());
    });
    return { release: () => child.kill("SIGKILL") };
}
