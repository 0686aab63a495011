import { Bot, BotError, GrammyError, HttpError, type BotConfig } from "grammy";
import type { BotContext, Deps } from "./context.js";
import { downloadFeature } from "./features/download.js";
import { groupFilter } from "./features/group-filter.js";
import { productFeature } from "./features/product.js";
import { rateLimitFeature } from "./features/rate-limit.js";
import { staleButtonFeature } from "./features/stale-button.js";
import { startFeature } from "./features/start.js";
import { configureApi } from "./telegram/api-setup.js";
import { describe } from "./telegram/status-message.js";
import { texts } from "./texts.js";

/**
 * Builds the bot (never starts it): the order below is the order updates flow through. Everything
 * up to the fair queue runs as the update arrives and is quick; the features run later, one
 * update at a time per user, users taking turns (`deps.scheduler`).
 */
export function createBot(deps: Deps, botConfig: BotConfig<BotContext>): Bot<BotContext> {
    const bot = new Bot<BotContext>(deps.config.botToken, botConfig);
    configureApi(bot.api);

    bot.use(async (ctx, next) => {
        ctx.deps = deps;
        ctx.log = deps.log.child({ update_id: ctx.update.update_id });
        await next();
    });
    bot.use(groupFilter);
    bot.use(rateLimitFeature);
    bot.use((ctx, next) => {
        const key = String(ctx.from?.id ?? ctx.chat?.id ?? "anonymous");
        const queued = deps.scheduler.enqueue(key, () =>
            next().catch((error: unknown) => handleError(new BotError(error, ctx))),
        );
        if (!queued) {
            ctx.log.warn({ user: ctx.from?.id }, "update dropped: the user's queue is full");
        }
    });
    bot.use(startFeature);
    bot.use(downloadFeature);
    bot.use(productFeature);
    bot.use(staleButtonFeature);

    bot.catch(handleError);
    return bot;
}

async function handleError(err: BotError<BotContext>): Promise<void> {
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
}

async function answerPolitely(ctx: BotContext): Promise<void> {
    if (ctx.callbackQuery) {
        await ctx.answerCallbackQuery({ text: texts.botError, show_alert: true }).catch(() => {
            // Already answered: fall through to a message.
        });
    }
    if (ctx.chat) await ctx.api.sendMessage(ctx.chat.id, texts.botError);
}
