import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";

/**
 * The last feature: a button that no feature's pattern matched (from an older version of the
 * bot, or forged) gets an answer, so the user's client stops waiting and says what to do.
 */
export const unhandledFeature = new Composer<BotContext>();

unhandledFeature.on("callback_query", async (ctx) => {
    ctx.log.warn({ data: ctx.callbackQuery.data?.slice(0, 64) }, "button of no known kind");
    await ctx.answerCallbackQuery({ text: texts.staleButton, show_alert: true });
});
