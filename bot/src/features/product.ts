import { Composer } from "grammy";
import type { ReplyParameters } from "grammy/types";
import { parseArticle } from "../article.js";
import type { BotContext, Deps } from "../context.js";
import { CdnError, InvalidArticleError, ProductNotFoundError } from "../errors.js";
import { mediaKeyboard } from "../keyboard.js";
import type { UserInfo } from "../services/events.js";
import type { CdnSession } from "../services/wb/cdn-client.js";
import type { ProductMedia } from "../services/wb/media-lookup.js";
import { StatusMessage } from "../telegram/status-message.js";
import { withoutMention } from "./group-filter.js";
import { texts, type VideoState } from "../texts.js";
import { userOf } from "./user.js";

/** Any other message: an article request (text), or the format hint (everything else). */
export const productFeature = new Composer<BotContext>();

productFeature.on("message:text", async (ctx) => {
    const nm = parseArticle(withoutMention(ctx.message.text, ctx.me));
    if (nm === null) {
        await ctx.reply(texts.invalidFormat, inThread(ctx));
        return;
    }
    await showProduct(ctx, nm);
});

productFeature.on("message", async (ctx) => {
    await ctx.reply(texts.invalidFormat, inThread(ctx));
});

/** In a group, the answer replies to the asking message, so it is clear whom it answers. */
function inThread(ctx: BotContext): { reply_parameters?: ReplyParameters } {
    if (ctx.chat?.type === "private" || !ctx.msg) return {};
    return {
        reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
    };
}

async function showProduct(ctx: BotContext, nm: string): Promise<void> {
    const { deps } = ctx;
    const user = userOf(ctx);
    deps.analytics.track(user, "article_request", { nm_id: Number(nm) });
    const status = await ctx.reply(texts.searching(nm), inThread(ctx));
    const controller = new AbortController();
    // The whole lookup (card, then the video search) ends by the deadline, whatever the CDN does.
    const session = deps.lookup.session(controller.signal, deps.config.lookupDeadlineMs);
    let product: ProductMedia;
    try {
        product = await deps.lookup.findProduct(nm, session);
    } catch (error) {
        await reportLookupError(ctx, deps, user, nm, error);
        return;
    }
    if (product.photoUrls.length === 0) {
        await ctx.api.editMessageText(status.chat.id, status.message_id, texts.noPhotos(nm));
        return;
    }
    const cached = await deps.cache.getVideo(nm);
    const render = (video: VideoState) =>
        texts.card(nm, product.title, product.photoUrls.length, video);
    if (cached) {
        const state = cached.url ? "found" : "not_found";
        await ctx.api.editMessageText(status.chat.id, status.message_id, render({ kind: state }), {
            reply_markup: mediaKeyboard(nm, state),
        });
        return;
    }
    // No edit of the "searching" message yet, so the first card edit is not throttled.
    const { chat, message_id: messageId } = status;
    const card = new StatusMessage(ctx.api, chat.id, messageId, ctx.log, 1000, "", 0);
    const searching = (percent: number) =>
        card.set(render({ kind: "searching", percent }), mediaKeyboard(nm, "searching"));
    let cardShown = false;
    const progress = (percent: number) => {
        if (cardShown) searching(percent);
    };
    const task = deps.tasks.spawn(`video-search:${nm}`, (signal) => {
        signal.addEventListener("abort", () => controller.abort(), { once: true });
        return searchVideo(deps, nm, product, session, card, render, progress, controller.signal);
    });
    deps.cards.add(chat.id, messageId, () => task.controller.abort(), task.done);
    // Most searches end within a few round trips: then the complete card is the only edit.
    if (!(await settlesWithin(task.done, QUICK_SEARCH_MS))) {
        cardShown = true;
        searching(0);
    }
}

/** How long the card waits for the video search before it shows "searching" (bounded). */
const QUICK_SEARCH_MS = 400;

async function settlesWithin(work: Promise<void>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
    });
    const settled = await Promise.race([work.then(() => true as const), late]);
    clearTimeout(timer);
    return settled;
}

/** The card's background video search; stops quietly when a button was pressed (abort). */
async function searchVideo(
    deps: Deps,
    nm: string,
    product: ProductMedia,
    session: CdnSession,
    card: StatusMessage,
    render: (video: VideoState) => string,
    progress: (percent: number) => void,
    signal: AbortSignal,
): Promise<void> {
    let state: VideoState;
    try {
        const url = await deps.lookup.findVideo(nm, session, product.hasVideo, progress);
        state = { kind: url ? "found" : "not_found" };
    } catch (error) {
        if (signal.aborted) return card.close();
        deps.log.warn({ nm, err: (error as Error).message }, "video search failed");
        state = { kind: "failed" };
    }
    if (signal.aborted) return card.close();
    const keyboard = mediaKeyboard(nm, state.kind === "found" ? "found" : "not_found");
    await card.final(render(state), keyboard);
    card.close();
}

async function reportLookupError(
    ctx: BotContext,
    deps: Deps,
    user: UserInfo,
    nm: string,
    error: unknown,
): Promise<void> {
    if (error instanceof InvalidArticleError) {
        await ctx.reply(texts.invalidFormat);
    } else if (error instanceof ProductNotFoundError) {
        deps.analytics.track(user, "error", {
            error_type: "product_not_found",
            message: `Товар ${nm} не найден`,
        });
        await ctx.reply(texts.notFound(nm));
    } else if (error instanceof CdnError) {
        deps.analytics.track(user, "error", { error_type: "wb_api_error", message: error.message });
        await ctx.reply(texts.wbUnavailable);
    } else {
        const e = error instanceof Error ? error : new Error(String(error));
        ctx.log.error({ err: e, nm }, "product lookup failed");
        deps.analytics.track(user, "error", {
            error_type: "unexpected_error",
            message: `${e.name}: ${e.message}`,
        });
        await ctx.reply(texts.unexpected);
    }
}
