import { execFileSync, spawnSync } from "node:child_process";
import {
    chownSync,
    existsSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
    export interface ProvidedContext {
        pgAdminUrl: string;
        hlsDir: string;
    }
}

const PG_BIN = "/usr/lib/postgresql/15/bin";

/**
 * Once per test run: a private Postgres cluster on 127.0.0.1 (unless TEST_DATABASE_URL is set)
 * and an HLS fixture made by real ffmpeg. Both are removed in teardown, also after failures.
 */
export default async function setup(project: TestProject): Promise<() => void> {
    const cleanups: Array<() => void> = [];
    try {
        const hlsDir = mkdtempSync(join(tmpdir(), "bot-hls-"));
        cleanups.push(() => rmSync(hlsDir, { recursive: true, force: true }));
        makeHlsFixture(hlsDir);
        project.provide("hlsDir", hlsDir);

        if (process.env.TEST_DATABASE_URL) {
            project.provide("pgAdminUrl", process.env.TEST_DATABASE_URL);
        } else {
            const { url, stop } = await startCluster();
            cleanups.push(stop);
            project.provide("pgAdminUrl", url);
        }
    } catch (error) {
        cleanups.reverse().forEach((c) => c());
        throw error;
    }
    const teardown = () =>
        cleanups
            .splice(0)
            .reverse()
            .forEach((c) => c());
    // A run interrupted by a signal (e.g. `timeout`) skips teardown: clean up here instead.
    for (const [signal, code] of [
        ["SIGINT", 130],
        ["SIGTERM", 143],
        ["SIGHUP", 129],
    ] as const) {
        process.once(signal, () => {
            teardown();
            process.exit(code);
        });
    }
    return () => teardown();
}

/** 6 s of noise video (incompressible, ~1.6 MB) + a sine tone, in 1 s HLS segments. */
export function makeHlsFixture(dir: string): void {
    // prettier-ignore
    execFileSync(
        "ffmpeg",
        [
            "-hide_banner", "-loglevel", "error",
            "-f", "lavfi", "-i", "nullsrc=s=160x120:r=25,geq=random(1)*255:128:128",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "6",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "vod",
            "-hls_segment_filename", join(dir, "seg%03d.ts"),
            join(dir, "index.m3u8"),
        ],
        { stdio: "inherit" },
    );
}

const asRoot = process.getuid?.() === 0;

function pgTool(bin: string, args: string[]) {
    const cmd = asRoot ? "runuser" : join(PG_BIN, bin);
    const argv = asRoot ? ["-u", "postgres", "--", join(PG_BIN, bin), ...args] : args;
    return spawnSync(cmd, argv, { encoding: "utf8" });
}

/** Clusters of earlier runs that were killed before their teardown (their owner is gone). */
function reapStaleClusters(): void {
    for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith("bot-pg-"))) {
        const dir = join(tmpdir(), name);
        const ownerFile = join(dir, "owner.pid");
        if (!existsSync(ownerFile)) continue;
        if (processAlive(Number(readFileSync(ownerFile, "utf8")))) continue;
        pgTool("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
        rmSync(dir, { recursive: true, force: true });
    }
}

function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

async function startCluster(): Promise<{ url: string; stop: () => void }> {
    reapStaleClusters();
    const dir = mkdtempSync(join(tmpdir(), "bot-pg-"));
    writeFileSync(join(dir, "owner.pid"), String(process.pid));
    if (asRoot) {
        const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
        const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
        chownSync(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
    }
    const data = join(dir, "data");
    const port = await freePort();
    let started = false;
    const stop = () => {
        if (started) pgTool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
        started = false;
        rmSync(dir, { recursive: true, force: true });
    };
    const run = (bin: string, args: string[]) => {
        const result = pgTool(bin, args);
        if (result.status !== 0) {
            throw new Error(`${bin} failed: ${result.stderr || result.stdout || result.error}`);
        }
    };
    try {
        run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        const options =
            `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        run("pg_ctl", [
            "-D",
            data,
            "-l",
            join(dir, "log"),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        ]);
        started = true;
    } catch (error) {
        stop();
        throw error;
    }
    return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop };
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
        });
    });
}
