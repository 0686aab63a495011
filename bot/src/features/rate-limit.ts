import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";

/** Per-user limits: messages (commands and articles) and button presses separately. */
export const rateLimitFeature = new Composer<BotContext>();

rateLimitFeature.on("message", async (ctx, next) => {
    const wait = ctx.deps.messageLimiter.hit(ctx.from.id);
    if (wait > 0) {
        await ctx.reply(texts.rateLimited(wait));
        return;
    }
    await next();
});

rateLimitFeature.on("callback_query", async (ctx, next) => {
    const wait = ctx.deps.callbackLimiter.hit(ctx.from.id);
    if (wait > 0) {
        await ctx.answerCallbackQuery({ text: texts.callbackRateLimited });
        return;
    }
    await next();
});
