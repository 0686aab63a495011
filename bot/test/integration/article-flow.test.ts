import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    guessPhotoBasket,
    photoVol,
    videoBasket,
    videoVol,
} from "../../src/services/wb/wb-urls.js";
import {
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { freshNm, standardProduct } from "../helpers/products.js";

// The article -> product card flow (spec 1.5, cases 10-17) and the CDN lookup rules.
describe("article flow", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness();
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("shows the card with title, photo count and the found video, using deterministic URLs", async () => {
        const p = standardProduct({
            photos: 4,
            card: { imt_name: 'Платье <летнее> & "лёгкое"', media: { photo_count: 4 } },
        });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        const card = await waitForText(h.tg, user.id, ["Видео: есть"]);
        for (const fragment of [
            "Товар:",
            "найден",
            String(p.nm),
            "Фото: 4 шт.",
            `wildberries.ru/catalog/${p.nm}`,
        ]) {
            expect(card).toContain(fragment);
        }
        expect(card).toContain("Платье &lt;летнее&gt; &amp; &quot;лёгкое&quot;");
        const first = h.tg.callsTo(user.id, "sendMessage")[0]!;
        expect(first.payload.text).toMatch(/Ищу товар/);
        const keyboard = h.tg.markupOf(user.id, cardMessageId(h.tg, user.id)) as {
            inline_keyboard: Array<Array<{ callback_data: string }>>;
        };
        expect(keyboard.inline_keyboard.map((row) => row[0]!.callback_data)).toEqual([
            `download:${p.nm}:photo`,
            `download:${p.nm}:video`,
            `download:${p.nm}:both`,
        ]);
        // A typical article: the first photo, card.json and the top video rendition, nothing else.
        const requests = h.cdn.requestsFor(p.nm).map((r) => `${r.method} ${r.path}`);
        expect(requests.sort()).toEqual([
            expect.stringMatching(/^GET .*\/info\/ru\/card\.json$/),
            expect.stringMatching(/^HEAD .*\/images\/big\/1\.webp$/),
            expect.stringMatching(/^HEAD .*\/hls\/1440p\/index\.m3u8$/),
        ]);
        // The video search ended quickly, so the complete card is the one and only edit.
        const edits = h.tg.callsTo(user.id, "editMessageText");
        expect(edits).toHaveLength(1);
        expect(String(edits[0]!.payload.text)).toContain("Видео: есть");
        const events = await h.db!.query<{ event_data: unknown }>(
            "SELECT event_data FROM shared.analytics_events WHERE telegram_id = $1 AND event_type = 'article_request'",
            [user.id],
        );
        expect(events.map((e) => e.event_data)).toEqual([{ nm_id: p.nm }]);
    });

    it("accepts product links without a trailing slash and on other WB domains", async () => {
        const p = standardProduct({ photos: 2 });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, `смотри https://www.wildberries.kz/catalog/${p.nm}`);
        const card = await waitForText(h.tg, user.id, ["Видео: есть"]);
        expect(card).toContain(`Товар: ${p.nm}`);
        expect(card).toContain("Фото: 2 шт.");
    });

    it("counts photos by HEAD when card.json is missing, and reports a product without video", async () => {
        h.cdn.delayMs = 15;
        const p = standardProduct({ photos: 5, video: false });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        const card = await waitForText(h.tg, user.id, ["Видео: нет"], 20_000);
        h.cdn.delayMs = 0;
        expect(card).toContain("Фото: 5 шт.");
        const keyboard = h.tg.markupOf(user.id, cardMessageId(h.tg, user.id)) as {
            inline_keyboard: unknown[];
        };
        expect(keyboard.inline_keyboard).toHaveLength(1);
        // The fallback probing is bounded (10.1.7): per article <= 250 requests, <= 20 in flight.
        expect(h.cdn.requestsFor(p.nm).length).toBeLessThanOrEqual(250);
        expect(h.cdn.peakInFlight).toBeLessThanOrEqual(20);
    });

    it("finds a photo basket that the table does not predict, by bounded probing, and caches it", async () => {
        const nm = freshNm();
        const predicted = guessPhotoBasket(photoVol(nm));
        h.cdn.add({ nm, photoBasket: predicted + 3, photos: 1, card: null });
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Товар:", "найден"]);
        // The card does not wait for the cache write; it lands right after.
        let rows: Array<{ basket: number }> = [];
        for (let i = 0; i < 50 && rows.length === 0; i++) {
            rows = await h.db!.query<{ basket: number }>(
                "SELECT basket FROM mpcabinet.basket_cache WHERE vol = $1",
                [photoVol(nm)],
            );
            if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(rows).toEqual([{ basket: predicted + 3 }]);
    });

    it("probes the lower renditions only when the top one is missing", async () => {
        const nm = freshNm();
        const vol = videoVol(nm);
        const base = standardProduct({ nm, photos: 2, card: { media: { photo_count: 2 } } });
        h.cdn.add({ ...base, video: { basket: videoBasket(vol), vol, rendition: "720p" } });
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        const videoHeads = h.cdn.requestsFor(nm).filter((r) => r.path.includes("/hls/"));
        expect(videoHeads[0]!.path).toContain("/hls/1440p/");
        expect(videoHeads.map((r) => r.path.split("/").at(-2)).sort()).toEqual([
            "1080p",
            "1440p",
            "360p",
            "480p",
            "720p",
        ]);
    });

    it("shows the card at once and edits it when the video search is slow", async () => {
        const p = standardProduct({ photos: 2, card: { media: { photo_count: 2 } } });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`videonme.*/${p.nm}/`), { delayMs: 1200 });
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        const texts = h.tg.callsTo(user.id, "editMessageText").map((c) => String(c.payload.text));
        expect(texts.length).toBeGreaterThanOrEqual(2);
        expect(texts[0]).toContain("ищем");
        expect(texts.at(-1)).toContain("Видео: есть");
    });

    it("finds a video on a host the mod-144 rule does not predict", async () => {
        const nm = freshNm();
        const vol = videoVol(nm);
        const base = standardProduct({ nm, photos: 1 });
        h.cdn.add({ ...base, video: { basket: videoBasket(vol) + 2, vol, rendition: "1440p" } });
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        expect(h.cdn.requestsFor(nm).length).toBeLessThanOrEqual(250);
    });

    it("finds a video whose vol breaks the mod-144 rule (on that vol's own host)", async () => {
        const nm = freshNm();
        const vol = (videoVol(nm) + 7) % 144;
        const base = standardProduct({ nm, photos: 1 });
        h.cdn.add({ ...base, video: { basket: videoBasket(vol), vol, rendition: "1440p" } });
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        expect(h.cdn.requestsFor(nm).length).toBeLessThanOrEqual(250);
    });

    it("a product with no video anywhere costs at most 250 requests, the fallback included", async () => {
        const p = standardProduct({ photos: 3, video: false });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: нет"], 20_000);
        const requests = h.cdn.requestsFor(p.nm);
        expect(requests.length).toBeLessThanOrEqual(250);
        // The search went well beyond the rule's location (1 + 4 renditions) and its 30 hosts:
        // it used what the budget left after the photos, across hosts and vols.
        const video = requests.filter((r) => r.path.includes("/hls/"));
        expect(video.length).toBe(250 - (requests.length - video.length));
        const vols = new Set(video.map((r) => /\/vol(\d+)\//.exec(r.path)![1]));
        const hosts = new Set(video.map((r) => /videonme-basket-(\d+)/.exec(r.path)![1]));
        expect(vols.size).toBeGreaterThan(50);
        expect(hosts.size).toBeGreaterThan(30);
    });

    it("says 'not found' for an unknown article within the request budget (case 14)", async () => {
        h.cdn.delayMs = 10;
        const nm = freshNm();
        const user = newUser();
        h.cdn.peakInFlight = 0;
        h.tg.sendText(user, String(nm));
        const text = await waitForText(h.tg, user.id, ["не найден"], 20_000);
        h.cdn.delayMs = 0;
        expect(text).toContain(String(nm));
        expect(h.tg.callsTo(user.id, "sendMessage").length).toBeGreaterThanOrEqual(2);
        expect(h.cdn.requestsFor(nm).length).toBeLessThanOrEqual(250);
        expect(h.cdn.peakInFlight).toBeLessThanOrEqual(20);
        expect(h.cdn.peakInFlight).toBeGreaterThan(1);
        const errors = await waitRows(h, user.id, "error");
        expect(errors[0]).toEqual({
            error_type: "product_not_found",
            message: `Товар ${nm} не найден`,
        });
    });

    it("says WB is unavailable when the CDN only fails (case 15)", async () => {
        const nm = freshNm();
        h.cdn.fault(new RegExp(`/${nm}/`), { status: 503 });
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Не удалось получить данные"], 20_000);
        const errors = await waitRows(h, user.id, "error");
        expect(errors[0]).toMatchObject({ error_type: "wb_api_error" });
    });

    it("says 'no photos' for a card with zero photos (10.2.4)", async () => {
        const p = standardProduct({
            photos: 1,
            card: { imt_name: "Пусто", media: { photo_count: 0 } },
        });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["нет фото"]);
    });

    it("stops editing the card once a button is pressed during the video search (10.2.6)", async () => {
        const p = standardProduct({ photos: 2 });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`videonme.*/${p.nm}/`), { delayMs: 1500 });
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["ищем"]);
        const cardId = cardMessageId(h.tg, user.id);
        const pressedAt = Date.now();
        h.tg.pressButton(user, `download:${p.nm}:photo`, cardId);
        await h.tg.waitFor(() => h.tg.isDeleted(user.id, cardId), 15_000, "card deleted");
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const lateSearchEdits = h.tg
            .callsTo(user.id, "editMessageText")
            .filter(
                (c) =>
                    c.at > pressedAt && /ищем|Видео: есть|Видео: нет/.test(String(c.payload.text)),
            );
        expect(lateSearchEdits).toEqual([]);
        expect(h.tg.callsTo(user.id, "sendMediaGroup")).toHaveLength(1);
    });
});

async function waitRows(h: Harness, userId: number, type: string): Promise<unknown[]> {
    for (let i = 0; i < 100; i++) {
        const rows = await h.db!.query<{ event_data: unknown }>(
            "SELECT event_data FROM shared.analytics_events WHERE telegram_id = $1 AND event_type = $2",
            [userId, type],
        );
        if (rows.length > 0) return rows.map((r) => r.event_data);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return [];
}

// A deadline for the whole lookup: an answer within WB_LOOKUP_DEADLINE_SECONDS whatever the CDN
// does (1 s here; requests themselves would wait 10 s).
describe("article flow with a hanging CDN", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({
            database: false,
            env: { WB_API_TIMEOUT: "10", WB_LOOKUP_DEADLINE_SECONDS: "1" },
        });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("a CDN that never answers: 'WB is not answering' by the deadline, after few requests", async () => {
        const nm = freshNm();
        h.cdn.fault(new RegExp(`/${nm}/`), { hang: true });
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Не удалось получить данные"], 6000);
        expect(h.cdn.requestsFor(nm).length).toBeLessThanOrEqual(25);
    });

    it("a video host that never answers: the card comes, its video line is settled by the deadline", async () => {
        const p = standardProduct({ photos: 2, card: { media: { photo_count: 2 } } });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`videonme.*/${p.nm}/`), { hang: true });
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Фото: 2 шт.", "ищем"], 6000);
        await h.tg.waitFor(
            () => !(h.tg.textOf(user.id, cardMessageId(h.tg, user.id)) ?? "ищем").includes("ищем"),
            6000,
            "the card without 'searching'",
        );
        const keyboard = h.tg.markupOf(user.id, cardMessageId(h.tg, user.id)) as {
            inline_keyboard: unknown[];
        };
        expect(keyboard.inline_keyboard).toHaveLength(1);
    });
});
