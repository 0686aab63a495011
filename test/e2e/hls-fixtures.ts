import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { makeHlsFixture } from "../../bot/test/helpers/global-setup.js";
import { host } from "../vps/host-commands";
import { shareMount } from "../vps/mounts";
import type { TestVps } from "../vps/vps";

/** An HLS VOD input at <dir>/<name>/index.m3u8, and what a remux of it holds. */
export interface HlsFixture {
    readonly name: string;
    /** Codec names of the streams, sorted. */
    readonly codecs: readonly string[];
    readonly durationSec: number;
}

const video = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25"];
const audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"];
const h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"];
const aac = ["-c:a", "aac", "-b:a", "64k"];
const vodHls = ["-f", "hls", "-hls_time", "1", "-hls_list_size", "0", "-hls_playlist_type", "vod"];

function ffmpeg(args: readonly string[]) {
    return host("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", ...args]);
}

/**
 * Makes, with this machine's ffmpeg, every kind of HLS input the bot's ffmpeg is claimed to remux
 * (bot/README.md): the bot tests' own fixture (bot/test/helpers/global-setup.ts: TS segments,
 * H.264 + AAC), fMP4 segments, AES-128 encrypted segments, HEVC, video without audio, and a
 * 100 s input of 100 segments.
 */
export async function makeHlsFixtures(dir: string): Promise<HlsFixture[]> {
    const fixture = (name: string) => {
        mkdirSync(join(dir, name), { recursive: true });
        return (file: string) => join(dir, name, file);
    };

    mkdirSync(join(dir, "ts"), { recursive: true });
    makeHlsFixture(join(dir, "ts"));

    const fmp4 = fixture("fmp4");
    await ffmpeg([
        ...video,
        ...audio,
        "-t",
        "4",
        ...h264,
        ...aac,
        ...vodHls,
        "-hls_segment_type",
        "fmp4",
        "-hls_fmp4_init_filename",
        "init.mp4",
        "-hls_segment_filename",
        fmp4("seg%03d.m4s"),
        fmp4("index.m3u8"),
    ]);

    // The key is served next to the segments; the key info file (URI, path, IV) is not.
    const aes = fixture("aes-128");
    writeFileSync(aes("key.bin"), randomBytes(16));
    const keyInfo = join(dir, "aes-128.keyinfo");
    writeFileSync(keyInfo, `key.bin\n${aes("key.bin")}\n${randomBytes(16).toString("hex")}\n`);
    await ffmpeg([
        ...video,
        ...audio,
        "-t",
        "4",
        ...h264,
        ...aac,
        ...vodHls,
        "-hls_key_info_file",
        keyInfo,
        "-hls_segment_filename",
        aes("seg%03d.ts"),
        aes("index.m3u8"),
    ]);

    const hevc = fixture("hevc");
    await ffmpeg([
        ...video,
        ...audio,
        "-t",
        "4",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "keyint=25:log-level=none",
        "-pix_fmt",
        "yuv420p",
        ...aac,
        ...vodHls,
        "-hls_segment_filename",
        hevc("seg%03d.ts"),
        hevc("index.m3u8"),
    ]);

    const videoOnly = fixture("video-only");
    await ffmpeg([
        ...video,
        "-t",
        "4",
        ...h264,
        ...vodHls,
        "-hls_segment_filename",
        videoOnly("seg%03d.ts"),
        videoOnly("index.m3u8"),
    ]);

    const long = fixture("100s");
    await ffmpeg([
        ...video,
        ...audio,
        "-t",
        "100",
        ...h264,
        ...aac,
        ...vodHls,
        "-hls_segment_filename",
        long("seg%03d.ts"),
        long("index.m3u8"),
    ]);

    const av = ["aac", "h264"];
    return [
        { name: "ts", codecs: av, durationSec: 6 },
        { name: "fmp4", codecs: av, durationSec: 4 },
        { name: "aes-128", codecs: av, durationSec: 4 },
        { name: "hevc", codecs: ["aac", "hevc"], durationSec: 4 },
        { name: "video-only", codecs: ["h264"], durationSec: 4 },
        { name: "100s", codecs: av, durationSec: 100 },
    ];
}

/**
 * What the host's ffmpeg makes of the same input with `-c copy`: the reference remux. From files,
 * so the AES key's name (key.bin) needs `-allowed_extensions ALL`; over http it does not.
 */
export function hostRemux(playlist: string, output: string) {
    return ffmpeg([
        "-protocol_whitelist",
        "file,crypto",
        "-allowed_extensions",
        "ALL",
        "-i",
        playlist,
        "-c",
        "copy",
        "-bsf:a",
        "aac_adtstoasc",
        "-f",
        "mp4",
        output,
    ]);
}

/**
 * Each stream's decoded frames as "<size> <md5>" lines (`-f framemd5`), per stream index: equal
 * for two files that hold the same pictures and sound, whichever ffmpeg muxed them and however it
 * interleaved them (ffmpeg 7.1 writes HEVC's first packet one trailing zero byte shorter than 5.1,
 * and its parameter sets differently, so packets alone would differ between versions).
 */
export async function framesPerStream(file: string): Promise<Record<string, string[]>> {
    const lines = await host("ffmpeg", [
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        file,
        "-map",
        "0",
        "-f",
        "framemd5",
        "-",
    ]);
    const streams: Record<string, string[]> = {};
    for (const line of lines.split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        const [stream, , , , size, md5] = line.split(",").map((field) => field.trim());
        (streams[stream!] ??= []).push(`${size} ${md5}`);
    }
    return streams;
}

/**
 * Runs the bot image's own ffmpeg over every fixture, over http inside the container as the bot
 * runs it (its VideoConverter and relay, test/e2e/fixtures/remux-in-bot-image.mjs), and checks
 * each MP4 on this machine: the streams, the whole duration, and the same decoded frames as this
 * machine's ffmpeg gets from its own remux of the same input.
 */
export async function expectImageRemuxesEveryFixture(vps: TestVps, image: string): Promise<void> {
    // Made on this machine by Debian's full ffmpeg; served inside the container from loopback.
    const fixturesDir = join(vps.runDir, "share/hls-fixtures");
    const fixtures = await makeHlsFixtures(fixturesDir);
    const outDir = "/root/e2e-remux";
    const session = await vps.session();
    const output = await session
        .run(
            [
                `set -euo pipefail; install -d -o 10001 -g 10001 ${outDir};`,
                `docker run --rm -i --network none -v ${shareMount}/hls-fixtures:/fixtures:ro`,
                `-v ${outDir}:/out --entrypoint node ${image} --input-type=module -`,
                `/fixtures /out ${fixtures.map((fixture) => fixture.name).join(" ")}`,
            ].join(" "),
            { stdin: readFileSync(join(__dirname, "fixtures/remux-in-bot-image.mjs"), "utf8") },
        )
        .finally(() => session.close());
    const results = output
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { name: string; error?: string });
    expect(results.filter((result) => result.error !== undefined)).toEqual([]);
    expect(results.map((result) => result.name)).toEqual(fixtures.map((f) => f.name));

    for (const fixture of fixtures) {
        const mp4 = join(vps.rootDir, outDir, `${fixture.name}.mp4`);
        const probe = await host("ffprobe", [
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name:format=duration,format_name",
            "-of",
            "json",
            mp4,
        ]);
        const { streams, format } = JSON.parse(probe) as {
            streams: Array<{ codec_name: string }>;
            format: { duration: string; format_name: string };
        };
        const what = `${fixture.name}.mp4`;
        expect(streams.map((stream) => stream.codec_name).sort(), what).toEqual(fixture.codecs);
        expect(format.format_name, what).toContain("mp4");
        expect(Math.abs(Number(format.duration) - fixture.durationSec), what).toBeLessThan(0.5);
        const reference = join(fixturesDir, `${fixture.name}.reference.mp4`);
        await hostRemux(join(fixturesDir, fixture.name, "index.m3u8"), reference);
        expect(await framesPerStream(mp4), what).toEqual(await framesPerStream(reference));
    }
}
