import { Api, Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { BotContext } from "../../../src/context.js";
import { downloadFeature } from "../../../src/features/download.js";
import { unhandledFeature } from "../../../src/features/unhandled.js";
import { texts } from "../../../src/texts.js";

// Only the context's shortcuts read it; its capability flags play no part here.
const ME = {
    id: 999000111,
    is_bot: true,
    first_name: "MPCabinet Picture Bot",
    username: "fake_picture_bot",
} as UserFromGetMe;

/** A button press as a grammY context whose API calls are recorded, not sent. */
function press(data: string) {
    const calls: { method: string; payload: unknown }[] = [];
    const api = new Api("123456789:FAKE-test-token");
    // answerCallbackQuery returns True on success (Bot API, answerCallbackQuery).
    api.config.use((_prev, method, payload) => {
        calls.push({ method, payload });
        return Promise.resolve({ ok: true, result: true } as never);
    });
    const from = { id: 42, is_bot: false, first_name: "Test" };
    const update: Update = {
        update_id: 1,
        callback_query: {
            id: "7",
            from,
            chat_instance: "1",
            data,
            message: {
                message_id: 5,
                date: 1,
                chat: { id: 42, type: "private", first_name: "Test" },
            },
        },
    };
    const ctx = new Context(update, api, ME) as BotContext;
    ctx.log = pino({ level: "silent" });
    return { ctx, calls };
}

describe("buttons are matched by pattern", () => {
    it.each(["settings:lang:ru", "download:12345678:zip", "download:bogus"])(
        "the download feature passes %j on, untouched",
        async (data) => {
            const { ctx, calls } = press(data);
            let passed = false;
            await downloadFeature.middleware()(ctx, () => {
                passed = true;
                return Promise.resolve();
            });
            expect(passed).toBe(true);
            expect(calls).toEqual([]);
        },
    );

    it("the last feature answers a button of no known kind as stale", async () => {
        const { ctx, calls } = press("settings:lang:ru");
        await unhandledFeature.middleware()(ctx, () => Promise.resolve());
        expect(calls).toEqual([
            {
                method: "answerCallbackQuery",
                payload: { callback_query_id: "7", text: texts.staleButton, show_alert: true },
            },
        ]);
    });
});
