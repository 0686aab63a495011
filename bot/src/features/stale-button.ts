import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";

/**
 * The last feature: any button press no other feature took (old or forged data, a card the bot
 * can no longer edit) gets an alert saying the button is stale, so its spinner stops.
 */
export const staleButtonFeature = new Composer<BotContext>();

staleButtonFeature.on("callback_query", async (ctx) => {
    ctx.log.warn({ data: ctx.callbackQuery.data?.slice(0, 64) }, "stale or unknown button");
    await ctx.answerCallbackQuery({ text: texts.staleButton, show_alert: true });
});
