import { pathToFileURL } from "node:url";
import { GrammyError, InputFile } from "grammy";
import type { InputMediaPhoto, Message } from "grammy/types";
import type { Deps } from "../context.js";
import { CdnError, NoMediaError } from "../errors.js";
import type { CdnSession } from "../services/wb/cdn-client.js";
import { texts } from "../texts.js";
import { apiSignal } from "./api-setup.js";
import type { StatusMessage } from "./status-message.js";

const PHOTO_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Batch sizes for sending `count` photos: albums of at most 10, and never an album of one (the
 * Bot API wants 2-10 items), which goes with sendPhoto instead.
 */
export function photoBatches(count: number): number[] {
    const batches: number[] = [];
    for (let left = count; left > 0; left -= 10) batches.push(Math.min(10, left));
    return batches;
}

export interface Delivery {
    deps: Deps;
    chatId: number;
    nm: string;
    session: CdnSession;
    status: StatusMessage;
    signal: AbortSignal;
}

/** Sends the product's photos (by cached file_id when possible); returns how many were sent. */
export async function sendPhotos(d: Delivery): Promise<number> {
    const { deps, nm } = d;
    const known = await deps.cache.getFileIds(nm, "photo");
    if (known.length > 0) {
        try {
            await sendBatches(d, known);
            return known.length;
        } catch (error) {
            if (!isStaleFileId(error)) throw error;
            d.deps.log.warn({ nm }, "cached photo file_ids rejected; uploading again");
            await deps.cache.forgetFileIds(nm, "photo");
        }
    }
    const product = await deps.lookup.findProduct(nm, d.session);
    if (product.photoUrls.length === 0) throw new NoMediaError(nm, "photo");
    const files = await Promise.all(
        product.photoUrls.map(async (url, i) => {
            const reply = await d.session.get(url, PHOTO_MAX_BYTES);
            if (reply.status !== 200 || !reply.body) {
                await deps.lookup.forgetProduct(nm);
                throw new CdnError(`photo ${url} answered ${reply.status || "no reply"}`);
            }
            return new InputFile(reply.body, `${nm}_${i + 1}.webp`);
        }),
    );
    const fileIds = await sendBatches(d, files);
    if (fileIds.length === files.length) await deps.cache.setFileIds(nm, "photo", fileIds);
    return files.length;
}

async function sendBatches(d: Delivery, items: Array<string | InputFile>): Promise<string[]> {
    const api = d.deps.uploadApi;
    const fileIds: string[] = [];
    let sent = 0;
    for (const size of photoBatches(items.length)) {
        const batch = items.slice(sent, sent + size);
        sent += size;
        d.status.set(texts.photoProgress(sent, items.length));
        if (size === 1) {
            const message = await api.sendPhoto(d.chatId, batch[0]!, {}, apiSignal(d.signal));
            fileIds.push(...photoIds([message]));
        } else {
            const media: InputMediaPhoto[] = batch.map((item) => ({ type: "photo", media: item }));
            const messages = await api.sendMediaGroup(d.chatId, media, {}, apiSignal(d.signal));
            fileIds.push(...photoIds(messages));
        }
    }
    return fileIds;
}

function photoIds(messages: Message[]): string[] {
    return messages.flatMap((m) => (m.photo?.length ? [m.photo[m.photo.length - 1]!.file_id] : []));
}

/** Finds, converts and uploads the product video (or resends it by cached file_id). */
export async function sendVideo(d: Delivery, title?: string): Promise<void> {
    const { deps, nm } = d;
    const caption = texts.videoCaption(nm, title);
    const [known] = await deps.cache.getFileIds(nm, "video");
    if (known) {
        try {
            await deps.uploadApi.sendVideo(d.chatId, known, { caption }, apiSignal(d.signal));
            return;
        } catch (error) {
            if (!isStaleFileId(error)) throw error;
            deps.log.warn({ nm }, "cached video file_id rejected; uploading again");
            await deps.cache.forgetFileIds(nm, "video");
        }
    }
    const url = await deps.lookup.findVideo(nm, d.session);
    if (!url) throw new NoMediaError(nm, "video");
    const video = await deps.converter.convert(nm, url, d.session, d.signal, {
        onQueued: (position) => d.status.set(texts.videoQueued(position)),
        onProgress: (percent) => d.status.set(texts.videoDownloading(percent)),
    });
    try {
        d.status.set(texts.videoUploading);
        // A local Bot API server reads the file from the shared volume; the cloud API needs bytes.
        const input = deps.config.apiLocal
            ? pathToFileURL(video.path).href
            : new InputFile(video.path, `video_${nm}.mp4`);
        const message = await deps.uploadApi.sendVideo(
            d.chatId,
            input,
            { caption, supports_streaming: true, duration: Math.round(video.durationSec) },
            apiSignal(d.signal),
        );
        const fileId = message.video?.file_id;
        if (fileId) await deps.cache.setFileIds(nm, "video", [fileId]);
    } finally {
        await deps.temp.remove(video.path);
    }
}

function isStaleFileId(error: unknown): boolean {
    return error instanceof GrammyError && error.error_code === 400;
}
