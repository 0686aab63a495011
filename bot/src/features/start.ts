import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { texts } from "../texts.js";
import { userOf } from "./user.js";

export const startFeature = new Composer<BotContext>();

startFeature.command("start", async (ctx) => {
    ctx.log.info({ user: ctx.from?.id }, "start");
    const user = userOf(ctx);
    ctx.deps.analytics.track(user, "user_start");
    ctx.deps.gateway?.register(user);
    await ctx.reply(texts.startAbout(ctx.deps.config.inviteLink), {
        link_preview_options: { is_disabled: true },
    });
    await ctx.reply(texts.startHowTo);
});

startFeature.command("help", async (ctx) => {
    await ctx.reply(texts.help, { link_preview_options: { is_disabled: true } });
});
