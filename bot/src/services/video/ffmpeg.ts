import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { CancelledError, VideoError } from "../../errors.js";

export interface RemuxOptions {
    ffmpegPath: string;
    /** Local, already checked playlist (see hls-playlist.ts). */
    input: string;
    output: string;
    /** Protocols ffmpeg may open: file for the playlist, https (+ http for loopback tests). */
    protocols: string[];
    timeoutMs: number;
    /** ffmpeg's own network read timeout (`-rw_timeout`), a backstop behind the relay's. */
    readTimeoutMs: number;
    maxBytes: number;
    durationSec: number;
    signal?: AbortSignal;
    /** Aborted when the input cannot be complete (its reason is thrown): ffmpeg stops at once. */
    inputFailed?: AbortSignal;
    onProgress?: (percent: number) => void;
}

export interface RemuxResult {
    bytes: number;
    outTimeSec: number;
}

const KILL_GRACE_MS = 2000;
const STDERR_KEEP = 4000;
const SEGMENT_FAILURE =
    /Failed to open segment|Failed to reload playlist|HTTP error [45]\d\d|Server returned [45]/i;

/** The ffmpeg argv: stream copy into an MP4 that can start playing before it is fully loaded. */
export function remuxArgs(
    o: Pick<RemuxOptions, "input" | "output" | "protocols" | "maxBytes" | "readTimeoutMs">,
) {
    // prettier-ignore
    return [
        "-hide_banner",
        "-nostdin",
        "-loglevel", "warning",
        "-protocol_whitelist", o.protocols.join(","),
        "-rw_timeout", String(o.readTimeoutMs * 1000),
        "-i", o.input,
        "-c", "copy",
        "-bsf:a", "aac_adtstoasc",
        "-movflags", "+faststart",
        "-fs", String(o.maxBytes),
        "-f", "mp4",
        "-progress", "pipe:1",
        "-nostats",
        "-y", o.output,
    ];
}

/**
 * Remuxes HLS into MP4 with ffmpeg (no re-encoding). Progress comes from `-progress pipe:1`.
 * On timeout or abort ffmpeg is stopped and awaited before this rejects, so no process outlives
 * the job. The caller owns the output file and removes it.
 */
export async function remux(o: RemuxOptions): Promise<RemuxResult> {
    if (o.signal?.aborted) throw new CancelledError();
    const child = spawn(o.ffmpegPath, remuxArgs(o), { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let outTimeUs = 0;
    child.stderr.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
        const match = /^out_time_(?:us|ms)=(\d+)$/.exec(line);
        if (!match) return;
        outTimeUs = Number(match[1]);
        if (o.durationSec > 0) {
            o.onProgress?.(Math.min(99, Math.floor((outTimeUs / 1e6 / o.durationSec) * 100)));
        }
    });

    let stopReason: "timeout" | "aborted" | "input" | undefined;
    const stop = (reason: "timeout" | "aborted" | "input") => {
        stopReason ??= reason;
        terminate(child);
    };
    const timer = setTimeout(() => stop("timeout"), o.timeoutMs);
    const onAbort = () => stop("aborted");
    const onInputFailed = () => stop("input");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    o.inputFailed?.addEventListener("abort", onInputFailed, { once: true });
    if (o.inputFailed?.aborted) stop("input");
    try {
        const code = await exitCode(child);
        if (stopReason === "aborted") throw new CancelledError("video conversion cancelled");
        if (stopReason === "input") throw o.inputFailed!.reason;
        if (stopReason === "timeout") {
            throw new VideoError("timeout", `Timeout: ffmpeg ran longer than ${o.timeoutMs} ms`);
        }
        if (code !== 0) {
            throw new VideoError("conversion", `ffmpeg error (exit ${code}): ${stderr.trim()}`);
        }
    } finally {
        clearTimeout(timer);
        o.signal?.removeEventListener("abort", onAbort);
        o.inputFailed?.removeEventListener("abort", onInputFailed);
    }
    const bytes = await stat(o.output).then(
        (s) => s.size,
        () => {
            throw new VideoError("conversion", "ffmpeg finished but created no output file");
        },
    );
    if (bytes >= o.maxBytes) {
        throw new VideoError("too_large", `video exceeds ${o.maxBytes} bytes`);
    }
    const outTimeSec = outTimeUs / 1e6;
    // A segment that fails to download is skipped with a warning and ffmpeg still exits 0.
    if (SEGMENT_FAILURE.test(stderr)) {
        throw new VideoError("incomplete", `video incomplete: ${stderr.trim().slice(-300)}`);
    }
    if (o.durationSec > 0 && outTimeSec < o.durationSec * 0.9) {
        throw new VideoError(
            "incomplete",
            `video incomplete: ${outTimeSec.toFixed(1)} s of ${o.durationSec.toFixed(1)} s`,
        );
    }
    return { bytes, outTimeSec };
}

function exitCode(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve, reject) => {
        child.once("error", (error: NodeJS.ErrnoException) => {
            if (error.code === "ENOENT") {
                reject(new VideoError("ffmpeg_missing", "ffmpeg is not installed"));
            } else {
                reject(error);
            }
        });
        child.once("close", (code) => resolve(code));
    });
}

function terminate(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const hard = setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS);
    hard.unref();
    child.once("close", () => clearTimeout(hard));
}

/** `ffmpeg -version` with the configured binary; false when it cannot run. */
export function ffmpegAvailable(ffmpegPath: string): Promise<boolean> {
    return new Promise((resolve) => {
        const child = spawn(ffmpegPath, ["-version"], { stdio: "ignore" });
        child.once("error", () => resolve(false));
        child.once("close", (code) => resolve(code === 0));
    });
}
