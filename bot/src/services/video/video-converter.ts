import { writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { CdnSession } from "../wb/cdn-client.js";
import { remux } from "./ffmpeg.js";
import { preparePlaylist } from "../wb/hls-playlist.js";
import { Semaphore } from "../semaphore.js";
import type { TempFiles } from "./temp-files.js";

export interface ConverterConfig {
    ffmpegPath: string;
    timeoutMs: number;
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
}

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
        const started = Date.now();
        try {
            const playlist = await preparePlaylist(playlistUrl, session, this.cfg.allowedHosts);
            await writeFile(playlistPath, playlist.text, { mode: 0o600 });
            const protocols = ["file", "crypto", "https", "tls", "tcp"];
            if (new URL(playlistUrl).protocol === "http:") protocols.push("http");
            hooks.onProgress?.(0);
            const result = await remux({
                ffmpegPath: this.cfg.ffmpegPath,
                input: playlistPath,
                output,
                protocols,
                timeoutMs: this.cfg.timeoutMs,
                maxBytes: this.cfg.maxBytes,
                durationSec: playlist.durationSec,
                signal,
                onProgress: hooks.onProgress,
            });
            this.log.info(
                { nm, mb: +(result.bytes / 1048576).toFixed(1), ms: Date.now() - started },
                "video converted",
            );
            return { path: output, bytes: result.bytes, durationSec: playlist.durationSec };
        } catch (error) {
            await this.temp.remove(output);
            throw error;
        } finally {
            await this.temp.remove(playlistPath);
            release();
        }
    }
}
