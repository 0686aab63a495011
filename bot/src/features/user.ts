import type { BotContext } from "../context.js";
import type { UserInfo } from "../services/events.js";

export function userOf(ctx: BotContext): UserInfo {
    const from = ctx.from!;
    return {
        id: from.id,
        username: from.username,
        firstName: from.first_name,
        lastName: from.last_name,
    };
}
