import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CancelledError, VideoError } from "../../../../src/errors.js";
import { ffmpegAvailable, remux, remuxArgs } from "../../../../src/services/video/ffmpeg.js";

const dir = mkdtempSync(join(tmpdir(), "ffmpeg-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in "ffmpeg" that records its pid and sleeps, to test timeouts and kills. */
function sleeper(): { path: string; pidFile: string } {
    const pidFile = join(dir, `pid-${Math.random()}`);
    const path = join(dir, `slow-ffmpeg-${Math.random()}.sh`);
    writeFileSync(path, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
    chmodSync(path, 0o755);
    return { path, pidFile };
}

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

const base = {
    input: join(dir, "in.m3u8"),
    protocols: ["file", "https", "tls", "tcp", "crypto"],
    timeoutMs: 5000,
    readTimeoutMs: 20_000,
    maxBytes: 10 * 1024 * 1024,
    durationSec: 4,
};

describe("remux arguments", () => {
    it("copies streams with the AAC filter, faststart, a size cap, progress and a protocol whitelist", () => {
        const args = remuxArgs({ ...base, output: "/tmp/out.mp4" }).join(" ");
        expect(args).toContain("-protocol_whitelist file,https,tls,tcp,crypto");
        expect(args).toContain("-c copy");
        expect(args).toContain("-bsf:a aac_adtstoasc");
        expect(args).toContain("-movflags +faststart");
        expect(args).toContain(`-fs ${10 * 1024 * 1024}`);
        expect(args).toContain("-progress pipe:1");
        expect(args).toContain("-rw_timeout 20000000");
        expect(args.indexOf("-protocol_whitelist")).toBeLessThan(args.indexOf("-i "));
    });
});

describe("remux process handling (10.2.9, 10.2.10)", () => {
    it("reports a missing ffmpeg binary", async () => {
        const error = await remux({
            ...base,
            ffmpegPath: join(dir, "nope"),
            output: join(dir, "a.mp4"),
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VideoError);
        expect((error as VideoError).reason).toBe("ffmpeg_missing");
    });

    it("the availability check uses the configured binary", async () => {
        expect(await ffmpegAvailable("ffmpeg")).toBe(true);
        expect(await ffmpegAvailable(join(dir, "nope"))).toBe(false);
    });

    it("kills ffmpeg on timeout and waits for it to exit", async () => {
        const fake = sleeper();
        const error = await remux({
            ...base,
            ffmpegPath: fake.path,
            output: join(dir, "b.mp4"),
            timeoutMs: 300,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VideoError);
        expect((error as Error).message).toContain("Timeout");
        const pid = Number(readFileSync(fake.pidFile, "utf8"));
        expect(alive(pid)).toBe(false);
    });

    it("kills ffmpeg when the job is cancelled", async () => {
        const fake = sleeper();
        const controller = new AbortController();
        const running = remux({
            ...base,
            ffmpegPath: fake.path,
            output: join(dir, "c.mp4"),
            signal: controller.signal,
        });
        for (let i = 0; i < 100 && !existsSync(fake.pidFile); i++)
            await new Promise((r) => setTimeout(r, 20));
        controller.abort();
        await expect(running).rejects.toBeInstanceOf(CancelledError);
        const pid = Number(readFileSync(fake.pidFile, "utf8"));
        expect(alive(pid)).toBe(false);
    });

    it("turns a non-zero exit into an 'ffmpeg error' with its stderr", async () => {
        writeFileSync(base.input, "not a playlist");
        const error = await remux({
            ...base,
            ffmpegPath: "ffmpeg",
            output: join(dir, "d.mp4"),
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VideoError);
        expect((error as VideoError).reason).toBe("conversion");
        expect((error as Error).message).toContain("ffmpeg error");
    });
});
