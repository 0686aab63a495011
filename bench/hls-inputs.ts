import { execFileSync } from "node:child_process";
import {
    existsSync,
    mkdirSync,
    readdirSync,
    readFileSync,
    renameSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { MB } from "./stats.js";

export interface HlsInput {
    /** index.m3u8 + seg000.ts... (the file names the bot's fake CDN serves). */
    dir: string;
    bytes: number;
    segments: number;
    durationSec: number;
}

const FFMPEG = "/usr/bin/ffmpeg";
const CLIP = { size: "640x360", seconds: 20, fps: 25 };

/**
 * A large HLS VOD input made once with real ffmpeg and kept in the (git-ignored) cache: a short
 * noise clip (incompressible, so the bitrate stays high) is encoded once, then looped with
 * `-c copy` into 1 s segments until the input holds at least `minMb` megabytes.
 */
export function ensureHlsInput(cacheDir: string, minMb: number): HlsInput {
    const key = `hls-${CLIP.size}-${CLIP.seconds}s-min${minMb}mb`;
    const dir = join(cacheDir, key);
    const marker = join(dir, "input.json");
    if (existsSync(marker)) {
        const cached = JSON.parse(readFileSync(marker, "utf8")) as HlsInput;
        if (cached.bytes >= minMb * MB && existsSync(join(dir, "index.m3u8"))) {
            return { ...cached, dir };
        }
    }
    const clip = ensureClip(cacheDir);
    const clipBytes = statSync(clip).size;
    const loops = Math.ceil((minMb * MB) / clipBytes) + 1;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync(FFMPEG, [
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-stream_loop",
        String(loops - 1),
        "-i",
        clip,
        "-c",
        "copy",
        "-f",
        "hls",
        "-hls_time",
        "1",
        "-hls_list_size",
        "0",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        join(dir, "seg%03d.ts"),
        join(dir, "index.m3u8"),
    ]);
    const segments = readdirSync(dir).filter((f) => /^seg\d{3}\.ts$/.test(f));
    if (segments.length >= 1000) throw new Error(`${dir}: too many segments for the fake CDN`);
    const bytes = segments.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    const playlist = readFileSync(join(dir, "index.m3u8"), "utf8");
    const durationSec = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
    );
    const input: HlsInput = { dir, bytes, segments: segments.length, durationSec };
    writeFileSync(marker, JSON.stringify(input, null, 2));
    return input;
}

function ensureClip(cacheDir: string): string {
    const clip = join(cacheDir, `clip-${CLIP.size}-${CLIP.seconds}s.ts`);
    if (existsSync(clip)) return clip;
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${clip}.partial`;
    execFileSync(FFMPEG, [
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-f",
        "lavfi",
        "-i",
        `nullsrc=s=${CLIP.size}:r=${CLIP.fps},geq=random(1)*255:128:128`,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100",
        "-t",
        String(CLIP.seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        String(CLIP.fps),
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-f",
        "mpegts",
        partial,
    ]);
    renameSync(partial, clip);
    return clip;
}
