import { Composer } from "grammy";
import type { Message, MessageEntity, UserFromGetMe } from "grammy/types";
import { hasProductLink } from "../article.js";
import type { BotContext } from "../context.js";

/** Commands the bot answers without an @botname suffix in a group. */
const OWN_COMMANDS = new Set(["start", "help"]);

/**
 * In groups and supergroups only messages meant for the bot go on: its commands, a Wildberries
 * product link, or a message addressed to it (an @botname mention or a reply to one of its
 * messages). Everything else is ordinary chatter and gets no answer, no rate-limit notice and no
 * analytics event. Private chats and button presses are not touched.
 */
export const groupFilter = new Composer<BotContext>();

groupFilter.chatType(["group", "supergroup"]).on("message", async (ctx, next) => {
    if (meantForBot(ctx.message, ctx.me)) await next();
});

export function meantForBot(message: Message, me: UserFromGetMe): boolean {
    const text = message.text ?? message.caption ?? "";
    const entities = message.entities ?? message.caption_entities ?? [];
    const command = entities.find((e) => e.type === "bot_command" && e.offset === 0);
    if (command) {
        const [name = "", target] = text.slice(1, command.length).toLowerCase().split("@");
        if (target !== undefined) return target === me.username.toLowerCase();
        return OWN_COMMANDS.has(name);
    }
    if (message.reply_to_message?.from?.id === me.id) return true;
    if (entities.some((e) => mentions(e, text, me))) return true;
    return hasProductLink(text);
}

function mentions(entity: MessageEntity, text: string, me: UserFromGetMe): boolean {
    if (entity.type === "text_mention") return entity.user.id === me.id;
    if (entity.type !== "mention") return false;
    const name = text.slice(entity.offset + 1, entity.offset + entity.length);
    return name.toLowerCase() === me.username.toLowerCase();
}

/** The text without "@botname", so "@bot 12345678" reads as the article alone. */
export function withoutMention(text: string, me: UserFromGetMe): string {
    const escaped = me.username.replace(/[^A-Za-z0-9_]/g, "");
    return text.replace(new RegExp(`@${escaped}(?![A-Za-z0-9_])`, "gi"), " ");
}
