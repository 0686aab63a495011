import { writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { CdnSession } from "../wb/cdn-client.js";
import { remux } from "./ffmpeg.js";
import { preparePlaylist, type PlaylistSource } from "../wb/hls-playlist.js";
import { Semaphore } from "../semaphore.js";
import { SegmentRelay } from "./segment-relay.js";
import type { TempFiles } from "./temp-files.js";

export interface ConverterConfig {
    ffmpegPath: string;
    timeoutMs: number;
    /** The CDN may send nothing for this long before the job counts as stalled. */
    readTimeoutMs: number;
    maxBytes: number;
    maxJobs: number;
    allowedHosts: string[];
}

export interface ConvertHooks {
    /** Called while waiting for a free ffmpeg slot (1 = next in line). */
    onQueued?: (position: number) => void;
    onProgress?: (percent: number) => void;
}

export interface Converted {
    path: string;
    bytes: number;
    durationSec: number;
    /** The playlist the video was made from (what its file_id stays valid for). */
    source: PlaylistSource;
}

/** ffmpeg's own read timeout waits a little longer than the relay's, which reports first. */
const RW_TIMEOUT_MARGIN_MS = 5000;

/**
 * HLS -> MP4 jobs under a global limit of concurrent ffmpeg processes (the host has one vCPU).
 * The output is a unique temp file the caller removes after uploading; on any failure it is
 * removed here.
 */
export class VideoConverter {
    readonly slots: Semaphore;

    constructor(
        private readonly cfg: ConverterConfig,
        private readonly temp: TempFiles,
        private readonly log: Logger,
    ) {
        this.slots = new Semaphore(cfg.maxJobs);
    }

    async convert(
        nm: string,
        playlistUrl: string,
        session: CdnSession,
        signal: AbortSignal,
        hooks: ConvertHooks = {},
    ): Promise<Converted> {
        const release = await this.slots.acquire(signal, hooks.onQueued);
        const playlistPath = this.temp.path(nm, ".m3u8");
        const output = this.temp.path(nm, ".mp4");
        const relay = new SegmentRelay({
            allowedHosts: this.cfg.allowedHosts,
            readTimeoutMs: this.cfg.readTimeoutMs,
        });
        const started = Date.now();
        try {
            await relay.start();
            const playlist = await preparePlaylist(
                playlistUrl,
                session,
                this.cfg.allowedHosts,
                (uri) => relay.route(uri),
            );
            await writeFile(playlistPath, playlist.text, { mode: 0o600 });
            hooks.onProgress?.(0);
            const result = await remux({
                ffmpegPath: this.cfg.ffmpegPath,
                input: playlistPath,
                output,
                // Local file and the loopback relay only: ffmpeg itself reaches no other host.
                protocols: ["file", "crypto", "http", "tcp"],
                timeoutMs: this.cfg.timeoutMs,
                readTimeoutMs: this.cfg.readTimeoutMs + RW_TIMEOUT_MARGIN_MS,
                maxBytes: this.cfg.maxBytes,
                durationSec: playlist.durationSec,
                signal,
                inputFailed: relay.failed,
                onProgress: hooks.onProgress,
            });
            this.log.info(
                { nm, mb: +(result.bytes / 1048576).toFixed(1), ms: Date.now() - started },
                "video converted",
            );
            return {
                path: output,
                bytes: result.bytes,
                durationSec: playlist.durationSec,
                source: playlist.source,
            };
        } catch (error) {
            await this.temp.remove(output);
            throw error;
        } finally {
            await relay.close();
            await this.temp.remove(playlistPath);
            release();
        }
    }
}
