import { sequentialize } from "@grammyjs/runner";
import { Bot, GrammyError, HttpError, type BotConfig } from "grammy";
import type { BotContext, Deps } from "./context.js";
import { downloadFeature } from "./features/download.js";
import { productFeature } from "./features/product.js";
import { rateLimitFeature } from "./features/rate-limit.js";
import { startFeature } from "./features/start.js";
import { unhandledFeature } from "./features/unhandled.js";
import { configureApi } from "./telegram/api-setup.js";
import { describe } from "./telegram/status-message.js";
import { texts } from "./texts.js";

/** Builds the bot (never starts it): the order below is the order updates flow through. */
export function createBot(deps: Deps, botConfig: BotConfig<BotContext>): Bot<BotContext> {
    const bot = new Bot<BotContext>(deps.config.botToken, botConfig);
    configureApi(bot.api);

    bot.use(async (ctx, next) => {
        ctx.deps = deps;
        ctx.log = deps.log.child({ update_id: ctx.update.update_id });
        await next();
    });
    bot.use(sequentialize((ctx: BotContext) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));

    const privateChats = bot.chatType("private");
    privateChats.use(rateLimitFeature);
    privateChats.use(startFeature);
    privateChats.use(downloadFeature);
    privateChats.use(productFeature);
    bot.use(unhandledFeature);

    bot.catch(async (err) => {
        const { ctx, error } = err;
        if (error instanceof GrammyError) {
            ctx.log.error({ method: error.method, err: error.description }, "Bot API call failed");
        } else if (error instanceof HttpError) {
            ctx.log.warn({ err: error.message }, "Bot API unreachable");
        } else {
            ctx.log.error({ err: error }, "handler crashed");
        }
        await answerPolitely(ctx).catch((e: unknown) =>
            ctx.log.warn({ err: describe(e) }, "could not tell the user about the error"),
        );
    });
    return bot;
}

async function answerPolitely(ctx: BotContext): Promise<void> {
    if (ctx.callbackQuery) {
        await ctx.answerCallbackQuery({ text: texts.botError, show_alert: true }).catch(() => {
            // Already answered: fall through to a message.
        });
    }
    if (ctx.chat) await ctx.api.sendMessage(ctx.chat.id, texts.botError);
}
