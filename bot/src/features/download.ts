import { Composer } from "grammy";
import type { BotContext, Deps } from "../context.js";
import {
    CancelledError,
    CdnError,
    NoMediaError,
    ProductNotFoundError,
    VideoError,
} from "../errors.js";
import { downloadData, type MediaKind } from "../keyboard.js";
import type { UserInfo } from "../services/events.js";
import {
    sendPhotos,
    sendVideo,
    type Delivery,
    type PhotoResult,
} from "../telegram/media-sender.js";
import { describe, StatusMessage } from "../telegram/status-message.js";
import { texts } from "../texts.js";
import { userOf } from "./user.js";

/** The card's buttons: `download:{nm}:{photo|video|both}`; other data goes to the stale feature. */
export const downloadFeature = new Composer<BotContext>();

downloadFeature.callbackQuery(downloadData.filter, async (ctx, next) => {
    const { deps } = ctx;
    const parsed = downloadData.unpack(ctx.callbackQuery.data);
    const message = ctx.callbackQuery.message;
    // A message older than 48 h is "inaccessible" (date 0): its card cannot be edited any more.
    if (!parsed || !message || message.date === 0) return next();
    const user = userOf(ctx);
    if (deps.busyUsers.has(user.id)) {
        await ctx.answerCallbackQuery({ text: texts.busy, show_alert: true });
        return;
    }
    deps.busyUsers.add(user.id);
    try {
        await ctx.answerCallbackQuery();
        const chatId = message.chat.id;
        await deps.cards.stop(chatId, message.message_id);
        await ctx.api.editMessageReplyMarkup(chatId, message.message_id).catch(() => undefined);
        const status = new StatusMessage(ctx.api, chatId, message.message_id, ctx.log, 1000);
        status.set(texts.loading);
        deps.tasks.spawn(`download:${parsed.nm}:${parsed.kind}`, (signal) =>
            deliver(deps, user, chatId, parsed.nm, parsed.kind, status, signal).finally(() =>
                deps.busyUsers.delete(user.id),
            ),
        );
    } catch (error) {
        deps.busyUsers.delete(user.id);
        throw error;
    }
});

async function deliver(
    deps: Deps,
    user: UserInfo,
    chatId: number,
    nm: string,
    kind: MediaKind,
    status: StatusMessage,
    signal: AbortSignal,
): Promise<void> {
    const d: Delivery = { deps, chatId, nm, session: deps.lookup.session(signal), status, signal };
    const log = deps.log.child({ nm, kind, user: user.id });
    try {
        if (kind === "photo") {
            const photos = await sendPhotos(d);
            deps.analytics.track(user, "photo_sent", { nm_id: Number(nm), count: photos.sent });
            await finishPhotos(status, photos);
        } else if (kind === "video") {
            await sendVideo(d, (await deps.cache.getProduct(nm))?.title);
            deps.analytics.track(user, "video_sent", { nm_id: Number(nm) });
            await status.delete();
        } else {
            await deliverBoth(d, user);
        }
    } catch (error) {
        logFailure(log, error, signal);
        await status.final(failureText(error, signal, deps.config.maxVideoMb));
    }
}

/** The status message goes, unless some photos could not be fetched: then it says how many. */
async function finishPhotos(status: StatusMessage, photos: PhotoResult): Promise<void> {
    if (photos.missing === 0) return status.delete();
    await status.final(texts.photosMissing(photos.missing, photos.sent + photos.missing));
}

/** Photos first, then the video under its own status message; a video failure keeps photos. */
async function deliverBoth(d: Delivery, user: UserInfo): Promise<void> {
    const { deps, nm } = d;
    let photos: PhotoResult = { sent: 0, missing: 0 };
    try {
        photos = await sendPhotos(d);
        deps.analytics.track(user, "photo_sent", { nm_id: Number(nm), count: photos.sent });
    } catch (error) {
        if (!(error instanceof NoMediaError)) throw error;
    }
    const hint = (await deps.cache.getProduct(nm))?.hasVideo;
    if ((await deps.lookup.findVideo(nm, d.session, hint)) === null) {
        if (photos.sent === 0) throw new NoMediaError(nm, "any");
        await finishPhotos(d.status, photos);
        return;
    }
    let videoStatus = d.status;
    if (photos.sent > 0) {
        await finishPhotos(d.status, photos);
        const sent = await deps.uploadApi.sendMessage(d.chatId, texts.videoNext);
        videoStatus = new StatusMessage(deps.uploadApi, d.chatId, sent.message_id, deps.log);
    }
    try {
        await sendVideo({ ...d, status: videoStatus }, (await deps.cache.getProduct(nm))?.title);
        deps.analytics.track(user, "video_sent", { nm_id: Number(nm) });
        await videoStatus.delete();
    } catch (error) {
        if (photos.sent === 0) throw error;
        logFailure(deps.log.child({ nm }), error, d.signal);
        const reason = failureText(error, d.signal, deps.config.maxVideoMb);
        await videoStatus.final(texts.videoFailedAfterPhotos(reason));
    }
}

export function failureText(error: unknown, signal: AbortSignal, limitMb: number): string {
    if (error instanceof CancelledError || signal.aborted) return texts.shuttingDown;
    if (error instanceof NoMediaError) {
        if (error.kind === "photo") return texts.noPhotoFiles;
        if (error.kind === "video") return texts.noVideoFile;
        return texts.noMediaFiles;
    }
    if (error instanceof CdnError || error instanceof ProductNotFoundError) {
        return texts.mediaUnavailable;
    }
    if (error instanceof VideoError) {
        switch (error.reason) {
            case "ffmpeg_missing":
                return texts.ffmpegMissing;
            case "conversion":
                return texts.conversionFailed;
            case "timeout":
                return texts.conversionTimeout;
            case "too_large":
                return texts.videoTooLarge(limitMb);
            case "playlist":
            case "incomplete":
                return texts.videoBroken;
        }
    }
    return texts.downloadFailed;
}

function logFailure(log: Deps["log"], error: unknown, signal: AbortSignal): void {
    if (signal.aborted) log.info("download cancelled by shutdown");
    else if (error instanceof NoMediaError) log.info({ err: error.message }, "no media");
    else log.warn({ err: describe(error) }, "download failed");
}
