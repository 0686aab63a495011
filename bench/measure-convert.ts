import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { CdnSession } from "../bot/src/services/wb/cdn-client.js";
import { TempFiles } from "../bot/src/services/video/temp-files.js";
import { VideoConverter } from "../bot/src/services/video/video-converter.js";
import { videoBasket, videoUrl, videoVol } from "../bot/src/services/wb/wb-urls.js";
import { FakeCdn } from "../bot/test/helpers/fake-cdn.js";
import { inProcessConfig } from "./bot-config.js";
import type { Cleanup } from "./cleanup.js";
import type { HlsInput } from "./hls-inputs.js";
import { mib, type Row } from "./report.js";
import { describeSpread, everyTrial, MB } from "./stats.js";

const NM = 187_654_321;
const ROUNDS = 5;

/**
 * Measurement 3: the bot's conversion path (VideoConverter: checked playlist, ffmpeg remux with
 * faststart, size limit) against the plain `ffmpeg -i <url> -c copy out.mp4` on the same loopback
 * HLS input, alternating the order per round.
 */
export async function measureConversion(input: HlsInput, cleanup: Cleanup): Promise<Row> {
    const cdn = new FakeCdn(input.dir);
    await cdn.start();
    cleanup.add("fake CDN for conversion", () => cdn.stop());
    const vol = videoVol(NM);
    const video = { basket: videoBasket(vol), vol, rendition: "1440p" };
    cdn.add({ nm: NM, photoBasket: 1, photos: 1, video });
    const workDir = mkdtempSync(join(tmpdir(), "bench-convert-"));
    cleanup.add(`conversion dir ${workDir}`, () =>
        rmSync(workDir, { recursive: true, force: true }),
    );

    const config = inProcessConfig(cdn, workDir);
    const url = videoUrl(config.cdn, videoBasket(vol), vol, NM, "1440p");
    const temp = new TempFiles(workDir);
    await temp.init();
    const converter = new VideoConverter(
        {
            ffmpegPath: config.ffmpegPath,
            timeoutMs: 900_000,
            readTimeoutMs: config.readTimeoutMs,
            maxBytes: config.maxVideoBytes,
            maxJobs: 1,
            allowedHosts: config.cdn.allowedHosts,
        },
        temp,
        pino({ level: "silent" }),
    );
    const ours = async (): Promise<number> => {
        const started = performance.now();
        const result = await converter.convert(
            String(NM),
            url,
            new CdnSession(config.cdn),
            new AbortController().signal,
        );
        const elapsed = performance.now() - started;
        await temp.remove(result.path);
        return elapsed;
    };
    const plain = async (): Promise<number> => {
        const output = join(workDir, "plain.mp4");
        const started = performance.now();
        await run(config.ffmpegPath, [
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-i",
            url,
            "-c",
            "copy",
            "-y",
            output,
        ]);
        const elapsed = performance.now() - started;
        rmSync(output, { force: true });
        return elapsed;
    };

    await plain(); // warm-up: page cache and connections, not counted
    const oursMs: number[] = [];
    const plainMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
            oursMs.push(await ours());
            plainMs.push(await plain());
        } else {
            plainMs.push(await plain());
            oursMs.push(await ours());
        }
    }
    const ratios = oursMs.map((o, i) => plainMs[i]! / o);
    const rates = (values: readonly number[]) =>
        describeSpread(
            values.map((msValue) => input.bytes / MB / (msValue / 1000)),
            (rate) => `${rate.toFixed(0)} MiB/s`,
            "rounds",
        );
    return {
        id: "3",
        name:
            `HLS -> MP4 remux throughput of the bot's converter vs plain ffmpeg, ` +
            `${mib(input.bytes)} on loopback (${ROUNDS} paired rounds)`,
        ours: rates(oursMs),
        baseline: `${rates(plainMs)} (plain ffmpeg -c copy)`,
        ratio: `${describeSpread(ratios, (r) => r.toFixed(2), "rounds")} of plain`,
        target: ">= 0.9 of plain ffmpeg in every round",
        met: everyTrial(ratios, (ratio) => ratio >= 0.9),
        data: { inputBytes: input.bytes, segments: input.segments, oursMs, plainMs, ratios },
    };
}

function run(command: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.once("error", reject);
        child.once("close", (code) => {
            if (code === 0) resolve();
            else reject(new Error(`${command} exited ${code}: ${stderr.slice(-500)}`));
        });
    });
}
