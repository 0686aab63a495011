import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Cleanup } from "./cleanup.js";
import { sleep, waitUntil } from "./stats.js";

/**
 * Compiles the bot as its Dockerfile does (`tsc -p tsconfig.build.json`) into the bench cache and
 * returns the entry point, so RSS is measured on `node main.js`, not under a TypeScript loader.
 */
export function buildBot(root: string, cacheDir: string): string {
    const outDir = join(cacheDir, "bot-dist");
    rmSync(outDir, { recursive: true, force: true });
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(
        process.execPath,
        [tsc, "-p", join(root, "bot", "tsconfig.build.json"), "--outDir", outDir],
        { encoding: "utf8" },
    );
    if (result.status !== 0) {
        const output = `${result.stdout}${result.stderr}`;
        throw new Error(`the bot does not compile (fix bot/ first):\n${output}`);
    }
    // The compiled files are ESM like bot/ itself; node_modules resolve from the repository root.
    writeFileSync(join(outDir, "package.json"), JSON.stringify({ type: "module" }));
    return join(outDir, "main.js");
}

/**
 * The node flags of the image's `CMD ["node", ...flags, "dist/main.js"]`, so the bench runs the bot
 * with the same V8 settings as the container (they decide the idle RSS).
 */
export function imageNodeFlags(): string[] {
    // main.ts makes sure the bench runs from the repository root.
    const dockerfile = readFileSync(join(process.cwd(), "bot", "Dockerfile"), "utf8");
    const cmd = dockerfile
        .split("\n")
        .filter((line) => line.startsWith("CMD ["))
        .at(-1);
    const argv = cmd ? (JSON.parse(cmd.slice("CMD ".length)) as string[]) : [];
    if (argv[0] !== "node" || argv.at(-1) !== "dist/main.js") {
        throw new Error(`bot/Dockerfile: want CMD ["node", ...flags, "dist/main.js"], got ${cmd}`);
    }
    return argv.slice(1, -1);
}

export interface LogLine {
    level: number;
    msg: string;
    raw: string;
}

/** A running bot process: its JSON log lines, memory from /proc and its ffmpeg children. */
export class BotProcess {
    readonly child: ChildProcess;
    readonly exited: Promise<number | null>;
    private readonly problems: LogLine[] = [];
    private readonly tail: string[] = [];
    private pending = "";

    constructor(entry: string, env: Record<string, string>, cleanup: Cleanup) {
        this.child = spawn(process.execPath, [...imageNodeFlags(), entry], {
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.exited = new Promise((resolve) => this.child.once("close", (code) => resolve(code)));
        this.child.stdout!.on("data", (chunk: Buffer) => this.onOutput(chunk.toString("utf8")));
        this.child.stderr!.on("data", (chunk: Buffer) => this.keepTail(chunk.toString("utf8")));
        cleanup.add(`bot process ${this.pid}`, () => this.stop());
    }

    get pid(): number {
        return this.child.pid ?? -1;
    }

    /** Log lines at warn level or above, in order. */
    get warningsAndErrors(): readonly LogLine[] {
        return this.problems;
    }

    errorsSince(index: number): LogLine[] {
        return this.problems.slice(index).filter((line) => line.level >= 50);
    }

    get logTail(): string {
        return this.tail.join("\n");
    }

    private onOutput(text: string): void {
        const lines = (this.pending + text).split("\n");
        this.pending = lines.pop() ?? "";
        for (const raw of lines) {
            if (raw.trim() === "") continue;
            this.keepTail(raw);
            try {
                const parsed = JSON.parse(raw) as { level?: number; msg?: string };
                if ((parsed.level ?? 0) >= 40) {
                    this.problems.push({ level: parsed.level!, msg: parsed.msg ?? "", raw });
                }
            } catch {
                this.problems.push({ level: 50, msg: "non-JSON output", raw });
            }
        }
    }

    private keepTail(text: string): void {
        this.tail.push(text.trimEnd());
        if (this.tail.length > 40) this.tail.shift();
    }

    /** Resolves once the bot has written its heartbeat (it polls the Bot API). */
    async ready(heartbeatFile: string, timeoutMs = 30_000): Promise<void> {
        await waitUntil(
            () => existsSync(heartbeatFile) || this.child.exitCode !== null,
            timeoutMs,
            "the bot's first heartbeat",
        );
        if (this.child.exitCode !== null) {
            throw new Error(`the bot exited with ${this.child.exitCode}:\n${this.logTail}`);
        }
    }

    private status(): Record<string, number> {
        const text = readFileSync(`/proc/${this.pid}/status`, "utf8");
        const values: Record<string, number> = {};
        for (const line of text.split("\n")) {
            const match = /^(Vm\w+):\s+(\d+) kB$/.exec(line);
            if (match) values[match[1]!] = Number(match[2]) * 1024;
        }
        return values;
    }

    /** Resident set size in bytes. */
    rss(): number {
        return this.status().VmRSS ?? Number.NaN;
    }

    /** Peak RSS in bytes since start or since `resetPeak`. */
    peakRss(): number {
        return this.status().VmHWM ?? Number.NaN;
    }

    /** Resets VmHWM to the current RSS (Linux clear_refs "5"). */
    resetPeak(): boolean {
        try {
            writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
            return true;
        } catch {
            return false;
        }
    }

    /** ffmpeg processes that are children of the bot right now. */
    ffmpegChildren(): number {
        let count = 0;
        for (const pid of childPids(this.pid)) {
            try {
                if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "ffmpeg") count += 1;
            } catch {
                // exited between the listing and the read
            }
        }
        return count;
    }

    /** SIGTERM (the bot's graceful shutdown), SIGKILL after 12 s. */
    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        this.child.kill("SIGTERM");
        const result = await Promise.race([this.exited, sleep(12_000).then(() => "late" as const)]);
        if (result === "late") {
            this.child.kill("SIGKILL");
            await this.exited;
        }
    }
}

function childPids(pid: number): number[] {
    const tasks = `/proc/${pid}/task`;
    try {
        return readdirSync(tasks).flatMap((tid) => {
            const children = readFileSync(join(tasks, tid, "children"), "utf8");
            return children.split(" ").filter(Boolean).map(Number);
        });
    } catch {
        return [];
    }
}
