import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { describe } from "../telegram/status-message.js";
import { texts } from "../texts.js";

/**
 * Per-user limits, checked when an update arrives (before it is queued): messages (commands and
 * articles) and button presses separately. A flood of messages gets one "wait" notice per
 * cooldown; every rejected button press is answered, so its spinner stops.
 */
export const rateLimitFeature = new Composer<BotContext>();

rateLimitFeature.on("message", async (ctx, next) => {
    const verdict = ctx.deps.messageLimiter.hit(ctx.from.id);
    if (verdict.allowed) return next();
    if (!verdict.notify) return;
    // Not awaited: the notice must not hold up the intake of other users' updates.
    void ctx
        .reply(texts.rateLimited(verdict.waitSeconds))
        .catch((e: unknown) => ctx.log.warn({ err: describe(e) }, "rate-limit notice failed"));
});

rateLimitFeature.on("callback_query", async (ctx, next) => {
    const verdict = ctx.deps.callbackLimiter.hit(ctx.from.id);
    if (verdict.allowed) return next();
    await ctx.answerCallbackQuery({ text: texts.callbackRateLimited });
});
