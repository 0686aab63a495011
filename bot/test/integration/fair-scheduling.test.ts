import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, startHarness, waitForText, type Harness } from "../helpers/harness.js";

// One user's flood must not delay others (issue 14): Telegram's 1 message/s per chat is enforced
// by the fake Bot API with 429 + retry_after, so every reply to the flooding user takes ~1 s.
describe("fair scheduling under a flood", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({ database: false, perChatIntervalMs: 1000 });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("another user's reply arrives before the flooding user's third", async () => {
        const flooder = newUser("Флуд");
        for (let i = 0; i < 130; i++) h.tg.sendText(flooder, "/help");
        await h.tg.waitFor(
            () => h.tg.deliveredTo(flooder.id, "sendMessage").length >= 1,
            10_000,
            "the flooding user's first reply",
        );
        const other = newUser("Другой");
        h.tg.sendText(other, "/help");
        await waitForText(h.tg, other.id, ["Как пользоваться"], 60_000);
        // Sent right after the flooding user's first reply; that chat's next reply is >= 1 s away.
        expect(h.tg.deliveredTo(flooder.id, "sendMessage").length).toBeLessThanOrEqual(2);
        // The fake really refused the flooding chat's bursts, and the bot waited and retried.
        expect(h.tg.floodRefusals.length).toBeGreaterThan(0);
    });
});
