import { Composer } from "grammy";
import type { BotContext, Deps } from "../context.js";
import {
    CancelledError,
    CdnError,
    NoMediaError,
    ProductNotFoundError,
    VideoError,
} from "../errors.js";
import { downloadButton, type MediaKind } from "../keyboard.js";
import type { UserInfo } from "../services/events.js";
import { sendPhotos, sendVideo, type Delivery } from "../telegram/media-sender.js";
import { describe, StatusMessage } from "../telegram/status-message.js";
import { texts } from "../texts.js";
import { userOf } from "./user.js";

/** The card's buttons (keyboard.ts, downloadButton); other buttons pass on. */
export const downloadFeature = new Composer<BotContext>();

downloadFeature.callbackQuery(downloadButton.pattern, async (ctx) => {
    const { deps } = ctx;
    const parsed = downloadButton.unpack(ctx.callbackQuery.data);
    const message = ctx.callbackQuery.message;
    if (!parsed || !message) {
        // Matched by pattern, so only a button whose card Telegram did not send along lands here.
        ctx.log.warn({ data: ctx.callbackQuery.data }, "download button without its card");
        await ctx.answerCallbackQuery({ text: texts.staleButton, show_alert: true });
        return;
    }
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
            const count = await sendPhotos(d);
            deps.analytics.track(user, "photo_sent", { nm_id: Number(nm), count });
            await status.delete();
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

/** Photos first, then the video under its own status message; a video failure keeps photos. */
async function deliverBoth(d: Delivery, user: UserInfo): Promise<void> {
    const { deps, nm } = d;
    let count = 0;
    try {
        count = await sendPhotos(d);
        deps.analytics.track(user, "photo_sent", { nm_id: Number(nm), count });
    } catch (error) {
        if (!(error instanceof NoMediaError)) throw error;
    }
    const hasVideo =
        (await deps.cache.getFileIds(nm, "video")).length > 0 ||
        (await deps.lookup.findVideo(nm, d.session)) !== null;
    if (!hasVideo) {
        if (count === 0) throw new NoMediaError(nm, "any");
        await d.status.delete();
        return;
    }
    let videoStatus = d.status;
    if (count > 0) {
        await d.status.delete();
        const sent = await deps.uploadApi.sendMessage(d.chatId, texts.videoNext);
        videoStatus = new StatusMessage(deps.uploadApi, d.chatId, sent.message_id, deps.log);
    }
    try {
        await sendVideo({ ...d, status: videoStatus }, (await deps.cache.getProduct(nm))?.title);
        deps.analytics.track(user, "video_sent", { nm_id: Number(nm) });
        await videoStatus.delete();
    } catch (error) {
        if (count === 0) throw error;
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
