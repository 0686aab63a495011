import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    CHANNEL_ID,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";

// /start, /help, bad input, non-text messages, a 429 from Telegram (spec 9: cases 8, 9, 13).
describe("conversation", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness();
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("/start sends exactly two messages with the required keywords and registers the user", async () => {
        const user = newUser();
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMessage").length >= 2);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const sent = h.tg.callsTo(user.id, "sendMessage").map((c) => String(c.payload.text));
        expect(sent).toHaveLength(2);
        expect(sent[0]).toContain("MPCabinet");
        expect(sent[0]).toContain("t.me/");
        expect(sent[0]).toMatch(/экосистем/);
        expect(sent[1]).toContain("артикул");
        expect(sent[1]).toContain("скачать");
        expect(h.tg.callsTo(user.id)[0]!.payload.parse_mode).toBe("HTML");

        await h.tg.waitFor(() => h.tg.callsTo(CHANNEL_ID, "sendMessage").length === 1);
        const rows = await h.db!.query<{ event_data: { is_new: boolean } }>(
            "SELECT event_data FROM shared.analytics_events WHERE telegram_id = $1",
            [user.id],
        );
        expect(rows.map((r) => r.event_data)).toEqual([{ is_new: true }]);
    });

    it("a returning user is recorded with is_new=false and is not announced again", async () => {
        const user = newUser("Повтор");
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMessage").length === 2);
        await h.tg.waitFor(() =>
            h.tg.callsTo(CHANNEL_ID).some((c) => String(c.payload.text).includes(String(user.id))),
        );
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMessage").length === 4);
        const count = async () =>
            (
                await h.db!.query("SELECT 1 FROM shared.analytics_events WHERE telegram_id = $1", [
                    user.id,
                ])
            ).length;
        for (let i = 0; i < 100 && (await count()) < 2; i++) await sleep(50);
        const rows = await h.db!.query<{ event_data: { is_new: boolean } }>(
            "SELECT event_data FROM shared.analytics_events WHERE telegram_id = $1 ORDER BY id",
            [user.id],
        );
        expect(rows.map((r) => r.event_data.is_new)).toEqual([true, false]);
        const notices = h.tg
            .callsTo(CHANNEL_ID)
            .filter((c) => String(c.payload.text).includes(String(user.id)));
        expect(notices).toHaveLength(1);
    });

    it("escapes user names in the new-user notice", async () => {
        const user = { id: 8_100_001, first_name: "<b>Evil</b> & Co" };
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(() =>
            h.tg.callsTo(CHANNEL_ID).some((c) => String(c.payload.text).includes("8100001")),
        );
        const notice = h.tg
            .callsTo(CHANNEL_ID)
            .find((c) => String(c.payload.text).includes("8100001"))!;
        expect(notice.payload.text).toContain("&lt;b&gt;Evil&lt;/b&gt; &amp; Co");
        expect(notice.payload.text).not.toContain("<b>Evil");
    });

    it("keeps updates that arrived while the bot was down (10.2.20)", () => {
        const calls = h.tg.callsOf("deleteWebhook");
        expect(calls).toHaveLength(1);
        expect(calls[0]!.payload.drop_pending_updates).toBe(false);
    });

    it("/help explains usage in one message", async () => {
        const user = newUser();
        h.tg.sendText(user, "/help");
        const text = await waitForText(h.tg, user.id, ["Как пользоваться"]);
        for (const keyword of ["Отправьте артикул", "Примеры", "wildberries.ru"]) {
            expect(text).toContain(keyword);
        }
        await sleep(200);
        expect(h.tg.callsTo(user.id, "sendMessage")).toHaveLength(1);
    });

    it("invalid text gets the format hint", async () => {
        const user = newUser();
        h.tg.sendText(user, "привет, покажи товар");
        await waitForText(h.tg, user.id, ["Неверный формат"]);
    });

    it("stickers, photos and voice messages get the hint instead of crashing (10.2.2)", async () => {
        const user = newUser();
        h.tg.sendSticker(user);
        h.tg.sendPhotoMessage(user);
        h.tg.sendVoice(user);
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMessage").length === 3);
        for (const call of h.tg.callsTo(user.id, "sendMessage")) {
            expect(call.payload.text).toContain("Неверный формат");
        }
    });

    it("a failing handler still answers the user politely (10.2.1)", async () => {
        const user = newUser();
        h.tg.failNext("sendMessage", 400, { description: "Bad Request: chat not found" });
        h.tg.sendText(user, "/help");
        await waitForText(h.tg, user.id, ["Непредвиденная ошибка", "обратитесь к администратору"]);
    });

    it("a 429 from Telegram is retried after retry_after and the answer still arrives", async () => {
        const user = newUser();
        h.tg.failNext("sendMessage", 429, {
            description: "Too Many Requests: retry after 1",
            parameters: { retry_after: 1 },
        });
        h.tg.sendText(user, "/help");
        await waitForText(h.tg, user.id, ["Как пользоваться"]);
        const attempts = h.tg.callsTo(user.id, "sendMessage");
        expect(attempts).toHaveLength(2);
        expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    });
});

describe("rate limits", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({
            database: false,
            env: { RATE_LIMIT_SECONDS: "3", CALLBACK_RATE_LIMIT_SECONDS: "5" },
        });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("limits messages per user and tells how long to wait", async () => {
        const user = newUser();
        h.tg.sendText(user, "/help");
        h.tg.sendText(user, "/help");
        const text = await waitForText(h.tg, user.id, ["слишком часто"]);
        expect(text).toMatch(/Подождите 3 сек/);
        const other = newUser();
        h.tg.sendText(other, "/help");
        await waitForText(h.tg, other.id, ["Как пользоваться"]);
    });

    it("a flood inside the cooldown gets one notice, not one per message", async () => {
        const user = newUser();
        for (let i = 0; i < 20; i++) h.tg.sendText(user, "/help");
        await waitForText(h.tg, user.id, ["Как пользоваться"]);
        await waitForText(h.tg, user.id, ["слишком часто"]);
        await sleep(700);
        const texts = h.tg.callsTo(user.id, "sendMessage").map((c) => String(c.payload.text));
        expect(texts.filter((t) => t.includes("слишком часто"))).toHaveLength(1);
        expect(texts).toHaveLength(2);
    });

    it("limits button presses too (10.1.7)", async () => {
        const user = newUser();
        h.tg.pressButton(user, "download:bogus", 1);
        h.tg.pressButton(user, "download:bogus", 1);
        await h.tg.waitFor(() => h.tg.callsOf("answerCallbackQuery").length >= 2);
        const texts = h.tg.callsOf("answerCallbackQuery").map((c) => String(c.payload.text));
        expect(texts.some((t) => t.includes("Слишком часто"))).toBe(true);
    });
});

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("analytics switched off (10.2.18)", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({ env: { ENABLE_ANALYTICS: "false" } });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("writes no events and posts nothing to the channel", async () => {
        const user = newUser();
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMessage").length === 2);
        await sleep(500);
        expect(await h.db!.query("SELECT 1 FROM shared.analytics_events")).toEqual([]);
        expect(h.tg.callsTo(CHANNEL_ID)).toEqual([]);
    });
});

describe("a Bot API that answers empty polls at once", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({ database: false, pollHoldMs: 0 });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("does not make the polling loop spin", async () => {
        const before = h.tg.pollCount;
        await sleep(2000);
        expect(h.tg.pollCount - before).toBeLessThanOrEqual(6);
        const user = newUser();
        h.tg.sendText(user, "/help");
        await waitForText(h.tg, user.id, ["Как пользоваться"]);
    });
});
