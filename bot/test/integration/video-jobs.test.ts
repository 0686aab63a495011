import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CdnRequest } from "../helpers/fake-cdn.js";
import {
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";

// A global limit of one ffmpeg job (one vCPU), queue positions, one job per user (10.3.5).
describe("video job limits", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({ database: false, env: { FFMPEG_MAX_JOBS: "1" } });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("two users: the second waits in the queue, sees its position, and both get their video", async () => {
        const a = standardProduct({ photos: 1 });
        const b = standardProduct({ photos: 1 });
        h.cdn.add(a);
        h.cdn.add(b);
        const alice = newUser("Алиса");
        const bob = newUser("Боб");
        h.tg.sendText(alice, String(a.nm));
        h.tg.sendText(bob, String(b.nm));
        await waitForText(h.tg, alice.id, ["Видео: есть"]);
        await waitForText(h.tg, bob.id, ["Видео: есть"]);
        h.cdn.segmentDelayMs = 300;
        const aliceCard = cardMessageId(h.tg, alice.id);
        const bobCard = cardMessageId(h.tg, bob.id);
        h.tg.pressButton(alice, `download:${a.nm}:video`, aliceCard);
        await h.tg.waitFor(() => segments(h, a.nm).length > 0, 10_000, "alice's conversion");
        h.tg.pressButton(bob, `download:${b.nm}:video`, bobCard);

        await h.tg.waitFor(
            () =>
                h.tg
                    .callsTo(bob.id, "editMessageText")
                    .some((c) => /в очереди/.test(String(c.payload.text))),
            10_000,
            "bob's queue position",
        );
        const queued = h.tg
            .callsTo(bob.id, "editMessageText")
            .find((c) => /в очереди/.test(String(c.payload.text)))!;
        expect(queued.payload.text).toContain("вы 1-й");

        await h.tg.waitFor(() => h.tg.callsOf("sendVideo").length === 2, 30_000, "both videos");
        h.cdn.segmentDelayMs = 0;
        // ffmpeg fetches the segments: bob's first segment comes after alice's last one.
        const aliceLast = Math.max(...segments(h, a.nm).map((r) => r.end ?? r.start));
        const bobFirst = Math.min(...segments(h, b.nm).map((r) => r.start));
        expect(bobFirst).toBeGreaterThanOrEqual(aliceLast);
        expect(h.tg.callsTo(alice.id, "sendVideo")).toHaveLength(1);
        expect(h.tg.callsTo(bob.id, "sendVideo")).toHaveLength(1);
    });

    it("one job per user: a second press while the first runs is refused politely", async () => {
        const p = standardProduct({ photos: 2 });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        const card = cardMessageId(h.tg, user.id);
        h.cdn.segmentDelayMs = 300;
        h.tg.pressButton(user, `download:${p.nm}:video`, card);
        await h.tg.waitFor(() => segments(h, p.nm).length > 0, 10_000, "conversion");
        h.tg.pressButton(user, `download:${p.nm}:photo`, card);
        await h.tg.waitFor(() =>
            h.tg
                .callsOf("answerCallbackQuery")
                .some((c) => /предыдущая загрузка/.test(String(c.payload.text))),
        );
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendVideo").length === 1, 30_000, "video");
        h.cdn.segmentDelayMs = 0;
        expect(h.tg.callsTo(user.id, "sendMediaGroup")).toEqual([]);
    });
});

function segments(h: Harness, nm: number): CdnRequest[] {
    return h.cdn.requestsFor(nm).filter((r) => r.path.endsWith(".ts"));
}
