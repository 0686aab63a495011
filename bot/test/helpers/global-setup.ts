import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
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
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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
    return async () => cleanups.reverse().forEach((c) => c());
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

async function startCluster(): Promise<{ url: string; stop: () => void }> {
    const dir = mkdtempSync(join(tmpdir(), "bot-pg-"));
    const asRoot = process.getuid?.() === 0;
    const run = (bin: string, args: string[]) => {
        const cmd = asRoot ? "runuser" : join(PG_BIN, bin);
        const argv = asRoot ? ["-u", "postgres", "--", join(PG_BIN, bin), ...args] : args;
        const result = spawnSync(cmd, argv, { encoding: "utf8" });
        if (result.status !== 0) {
            throw new Error(`${bin} failed: ${result.stderr || result.stdout || result.error}`);
        }
    };
    if (asRoot) {
        const pg = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
        const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
        chownSync(dir, Number(pg.stdout.trim()), Number(gid.stdout.trim()));
    }
    const data = join(dir, "data");
    const port = await freePort();
    let started = false;
    const stop = () => {
        if (started) {
            spawnSync(asRoot ? "runuser" : join(PG_BIN, "pg_ctl"), [
                ...(asRoot ? ["-u", "postgres", "--", join(PG_BIN, "pg_ctl")] : []),
                "-D",
                data,
                "-m",
                "immediate",
                "-w",
                "stop",
            ]);
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        run("pg_ctl", [
            "-D",
            data,
            "-l",
            join(dir, "log"),
            "-w",
            "-t",
            "30",
            "-o",
            `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
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
