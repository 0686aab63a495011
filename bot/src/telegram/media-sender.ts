import { pathToFileURL } from "node:url";
import { GrammyError, InputFile } from "grammy";
import type { InputMediaPhoto, Message } from "grammy/types";
import type { Deps } from "../context.js";
import { CdnError, NoMediaError } from "../errors.js";
import type { CachedFile } from "../services/storage/media-cache.js";
import { retryOnce, sha256, type CdnSession } from "../services/wb/cdn-client.js";
import { PLAYLIST_MAX_BYTES } from "../services/wb/hls-playlist.js";
import { texts } from "../texts.js";
import { apiSignal } from "./api-setup.js";
import type { StatusMessage } from "./status-message.js";

const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
/** A button pressed within this time after the card was shown trusts the card's photo count. */
const CARD_CHECK_REUSE_MS = 10 * 60_000;

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

export interface PhotoResult {
    sent: number;
    /** Photos the card lists that the CDN did not serve. */
    missing: number;
}

/** A photo ready to send: a file_id whose content the CDN confirmed, or fresh bytes. */
interface PhotoItem {
    url: string;
    media: string | InputFile;
    /** The content to remember with the file_id Telegram returns; absent = already remembered. */
    content?: Omit<CachedFile, "fileId">;
}

/**
 * Sends the product's photos: each cached file_id is reused only while the CDN says its photo is
 * unchanged (a conditional GET answered 304, or the same bytes); other photos are fetched and
 * uploaded. Photos the CDN does not serve are left out and counted.
 */
export async function sendPhotos(d: Delivery): Promise<PhotoResult> {
    const { deps, nm } = d;
    const product = await deps.lookup.findProduct(nm, d.session, CARD_CHECK_REUSE_MS);
    const urls = product.photoUrls;
    if (urls.length === 0) throw new NoMediaError(nm, "photo");
    let items = await collectPhotos(d, urls, true);
    let fileIds: Array<string | undefined>;
    try {
        fileIds = await sendBatches(d, items);
    } catch (error) {
        if (!isStaleFileId(error) || items.every((item) => item.content)) throw error;
        deps.log.warn({ nm }, "cached photo file_ids rejected; uploading again");
        await deps.cache.forgetFiles(urls);
        items = await collectPhotos(d, urls, false);
        fileIds = await sendBatches(d, items);
    }
    // Cache writes never fail and fill the memory layer at once: the user does not wait for them.
    items.forEach((item, i) => {
        const fileId = fileIds[i];
        if (item.content && fileId) {
            void deps.cache.setFile(item.url, "photo", { ...item.content, fileId });
        }
    });
    return { sent: items.length, missing: urls.length - items.length };
}

async function collectPhotos(d: Delivery, urls: string[], useCache: boolean): Promise<PhotoItem[]> {
    const found = await Promise.all(urls.map((url, i) => collectPhoto(d, url, i, useCache)));
    const items = found.filter((item): item is PhotoItem => item !== undefined);
    if (items.length === 0) {
        await d.deps.lookup.forgetProduct(d.nm);
        throw new CdnError(`none of the ${urls.length} photos of ${d.nm} could be fetched`);
    }
    if (items.length < urls.length) {
        d.deps.log.warn({ nm: d.nm, missing: urls.length - items.length }, "photos missing");
    }
    return items;
}

async function collectPhoto(
    d: Delivery,
    url: string,
    index: number,
    useCache: boolean,
): Promise<PhotoItem | undefined> {
    const cached = useCache ? await d.deps.cache.getFile(url) : undefined;
    const reply = await retryOnce(() => d.session.get(url, PHOTO_MAX_BYTES, cached?.validator));
    if (cached && (reply.status === 304 || reply.status === 0 || reply.status >= 500)) {
        // Unchanged, or the CDN cannot say right now: the file_id (of bounded age) stands.
        return { url, media: cached.fileId };
    }
    if (reply.status !== 200 || !reply.body) return undefined;
    const content = { sha256: sha256(reply.body), validator: reply.validator };
    if (cached?.sha256 === content.sha256) return { url, media: cached.fileId, content };
    return { url, media: new InputFile(reply.body, `${d.nm}_${index + 1}.webp`), content };
}

/** Sends albums of up to 10 (a leftover single photo by sendPhoto); file_ids in item order. */
async function sendBatches(d: Delivery, items: PhotoItem[]): Promise<Array<string | undefined>> {
    const api = d.deps.uploadApi;
    const fileIds: Array<string | undefined> = [];
    let sent = 0;
    for (const size of photoBatches(items.length)) {
        const batch = items.slice(sent, sent + size);
        sent += size;
        d.status.set(texts.photoProgress(sent, items.length));
        if (size === 1) {
            const message = await api.sendPhoto(d.chatId, batch[0]!.media, {}, apiSignal(d.signal));
            fileIds.push(photoId(message));
        } else {
            const media: InputMediaPhoto[] = batch.map((item) => ({
                type: "photo",
                media: item.media,
            }));
            const messages = await api.sendMediaGroup(d.chatId, media, {}, apiSignal(d.signal));
            fileIds.push(...batch.map((_, i) => (messages[i] ? photoId(messages[i]) : undefined)));
        }
    }
    return fileIds;
}

function photoId(message: Message): string | undefined {
    return message.photo?.at(-1)?.file_id;
}

/**
 * Finds, converts and uploads the product video, or resends its cached file_id while the CDN says
 * the playlist it was made from is unchanged.
 */
export async function sendVideo(d: Delivery, title?: string): Promise<void> {
    const { deps, nm } = d;
    const caption = texts.videoCaption(nm, title);
    // card.json's has_video (when known) spares a search for a product without video.
    const hint = (await deps.cache.getProduct(nm))?.hasVideo;
    let url = await deps.lookup.findVideo(nm, d.session, hint);
    if (!url) throw new NoMediaError(nm, "video");
    const cached = await deps.cache.getFile(url);
    const state = cached ? await playlistState(d.session, url, cached) : "changed";
    if (cached && state === "same") {
        try {
            const options = { caption };
            await deps.uploadApi.sendVideo(d.chatId, cached.fileId, options, apiSignal(d.signal));
            return;
        } catch (error) {
            if (!isStaleFileId(error)) throw error;
            deps.log.warn({ nm }, "cached video file_id rejected; uploading again");
            await deps.cache.forgetFiles([url]);
        }
    }
    if (state === "gone") {
        deps.log.info({ nm, url }, "the cached video is gone from the CDN; searching again");
        await deps.cache.forgetFiles([url]);
        await deps.lookup.forgetVideo(nm);
        url = await deps.lookup.findVideo(nm, d.session, hint);
        if (!url) throw new NoMediaError(nm, "video");
    }
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
        if (fileId) void deps.cache.setFile(url, "video", { fileId, ...video.source });
    } finally {
        await deps.temp.remove(video.path);
    }
}

/** Whether the playlist a cached video came from is unchanged ("same" also when unknowable). */
async function playlistState(
    session: CdnSession,
    url: string,
    cached: CachedFile,
): Promise<"same" | "changed" | "gone"> {
    const reply = await retryOnce(() => session.get(url, PLAYLIST_MAX_BYTES, cached.validator));
    if (reply.status === 304 || reply.status === 0 || reply.status >= 500) return "same";
    if (reply.status === 200 && reply.body) {
        return sha256(reply.body) === cached.sha256 ? "same" : "changed";
    }
    return "gone";
}

function isStaleFileId(error: unknown): boolean {
    return error instanceof GrammyError && error.error_code === 400;
}
