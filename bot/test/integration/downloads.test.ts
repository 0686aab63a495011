import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeProduct } from "../helpers/fake-cdn.js";
import type { TgUser } from "../helpers/fake-telegram.js";
import {
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { probe } from "../helpers/probe.js";
import { standardProduct } from "../helpers/products.js";

/** The stale-button feature's alert (texts.staleButton). */
const STALE_BUTTON = "Кнопка устарела или повреждена. Отправьте артикул ещё раз.";

// The buttons (spec 1.8, cases 18-24) with real ffmpeg and the file_id cache.
describe("downloads", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness();
    });
    afterAll(async () => {
        await h?.stop();
    });

    /** Sends the article, waits for the final card and presses a button on it. */
    async function press(user: TgUser, p: FakeProduct, kind: string): Promise<number> {
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, [p.video ? "Видео: есть" : "Видео: нет"], 20_000);
        const cardId = cardMessageId(h.tg, user.id);
        h.tg.pressButton(user, `download:${p.nm}:${kind}`, cardId);
        return cardId;
    }

    it("sends 25 photos as albums of 10, 10 and 5, then removes the card (case 41)", async () => {
        const p = standardProduct({ photos: 25, card: { media: { photo_count: 25 } } });
        h.cdn.add(p);
        const user = newUser();
        const cardId = await press(user, p, "photo");
        await h.tg.waitFor(() => h.tg.isDeleted(user.id, cardId), 15_000, "card deleted");
        const albums = h.tg.callsTo(user.id, "sendMediaGroup");
        expect(albums.map((c) => (c.payload.media as unknown[]).length)).toEqual([10, 10, 5]);
        expect(albums.flatMap((c) => c.uploads)).toHaveLength(25);
        expect(h.tg.callsOf("answerCallbackQuery").length).toBeGreaterThan(0);
        const events = await eventRows(h, user.id, "photo_sent");
        expect(events).toEqual([{ nm_id: p.nm, count: 25 }]);
    });

    it("sends a single leftover photo with sendPhoto, never as a one-item album (10.2.12)", async () => {
        const p = standardProduct({ photos: 11, video: false });
        h.cdn.add(p);
        const user = newUser();
        const cardId = await press(user, p, "photo");
        await h.tg.waitFor(() => h.tg.isDeleted(user.id, cardId), 15_000, "card deleted");
        expect(
            h.tg
                .callsTo(user.id, "sendMediaGroup")
                .map((c) => (c.payload.media as unknown[]).length),
        ).toEqual([10]);
        expect(h.tg.callsTo(user.id, "sendPhoto")).toHaveLength(1);
    });

    it("delivers the video as a valid MP4 made by ffmpeg, with throttled progress", async () => {
        const p = standardProduct({
            photos: 1,
            card: { imt_name: "Кроссовки", media: { photo_count: 1 } },
        });
        h.cdn.add(p);
        h.cdn.segmentDelayMs = 400;
        const user = newUser();
        const cardId = await press(user, p, "video");
        await h.tg.waitFor(() => h.tg.isDeleted(user.id, cardId), 30_000, "card deleted");
        h.cdn.segmentDelayMs = 0;
        const [call] = h.tg.callsTo(user.id, "sendVideo");
        expect(call!.payload.caption).toBe("Видео: Кроссовки");
        expect(String(call!.payload.supports_streaming)).toBe("true");
        const info = probe(call!.uploads[0]!.data);
        expect(info.streams.map((s) => s.codec_name).sort()).toEqual(["aac", "h264"]);
        expect(Number(info.format.duration)).toBeGreaterThan(5.5);
        expect(Number(info.format.duration)).toBeLessThan(6.5);
        expect(info.format.format_name).toContain("mp4");

        const progress = h.tg
            .callsTo(user.id, "editMessageText")
            .filter((c) => Number(c.payload.message_id) === cardId && c.at >= call!.at - 60_000);
        expect(progress.some((c) => /Скачивание: \d+%/.test(String(c.payload.text)))).toBe(true);
        const afterPress = progress.filter((c) => !String(c.payload.text).includes("Товар:"));
        for (let i = 1; i < afterPress.length; i++) {
            expect(afterPress[i]!.at - afterPress[i - 1]!.at).toBeGreaterThanOrEqual(950);
        }
        expect(readdirSync(h.tempDir).filter((f) => f.startsWith("wbv-"))).toEqual([]);
        expect(await eventRows(h, user.id, "video_sent")).toEqual([{ nm_id: p.nm }]);
    });

    it("answers a repeat request by file_id: only conditional requests, all 304, no upload, no ffmpeg", async () => {
        const p = standardProduct({ photos: 3, card: { media: { photo_count: 3 } } });
        h.cdn.add(p);
        const first = newUser();
        const firstCard = await press(first, p, "both");
        await h.tg.waitFor(() => h.tg.callsTo(first.id, "sendVideo").length === 1, 30_000, "video");
        await h.tg.waitFor(() => h.tg.isDeleted(first.id, firstCard));
        const cdnBefore = h.cdn.requestsFor(p.nm).length;

        const second = newUser();
        await press(second, p, "both");
        await h.tg.waitFor(
            () => h.tg.callsTo(second.id, "sendVideo").length === 1,
            15_000,
            "video",
        );
        // The cost of staying fresh: card.json, each photo and the playlist, asked "changed since?".
        const repeat = h.cdn.requestsFor(p.nm).slice(cdnBefore);
        expect(
            repeat.map((r) => `${r.method} ${r.path.split("/").slice(-2).join("/")}`).sort(),
        ).toEqual([
            "GET 1440p/index.m3u8",
            "GET big/1.webp",
            "GET big/2.webp",
            "GET big/3.webp",
            "GET ru/card.json",
        ]);
        expect(repeat.every((r) => r.conditional && r.status === 304)).toBe(true);
        expect(repeat.some((r) => r.path.endsWith(".ts"))).toBe(false);
        const album = h.tg.callsTo(second.id, "sendMediaGroup")[0]!;
        expect(album.uploads).toEqual([]);
        expect(
            (album.payload.media as Array<{ media: string }>).every((m) =>
                m.media.startsWith("photo-file-"),
            ),
        ).toBe(true);
        expect(h.tg.callsTo(first.id, "sendMediaGroup")[0]!.uploads).toHaveLength(3);
        const video = h.tg.callsTo(second.id, "sendVideo")[0]!;
        expect(video.uploads).toEqual([]);
        expect(String(video.payload.video)).toMatch(/^video-file-/);
    });

    it("'both' sends photos, then the video under its own status message (case 44)", async () => {
        const p = standardProduct({ photos: 2 });
        h.cdn.add(p);
        const user = newUser();
        await press(user, p, "both");
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendVideo").length === 1, 30_000, "video");
        const order = h.tg.callsTo(user.id).map((c) => c.method);
        expect(order.indexOf("sendMediaGroup")).toBeLessThan(order.lastIndexOf("sendVideo"));
        expect(
            h.tg
                .callsTo(user.id, "sendMessage")
                .some((c) => String(c.payload.text).includes("Загружаю видео")),
        ).toBe(true);
        expect(await eventRows(h, user.id, "photo_sent")).toEqual([{ nm_id: p.nm, count: 2 }]);
        expect(await eventRows(h, user.id, "video_sent")).toEqual([{ nm_id: p.nm }]);
    });

    it("rejects forged or stale callback data without any CDN work (10.1.6)", async () => {
        const user = newUser();
        const before = h.cdn.requests.length;
        const forged = [
            "download:12345678:../../etc/passwd",
            "download:0123456:photo",
            "download:99:photo",
            "download:12345678901:video",
            "download:12345678:zip",
            "rm -rf /",
        ];
        const queries = forged.map((data) => h.tg.pressButton(user, data, 1));
        await h.tg.waitFor(() => queries.every((id) => h.tg.answerTo(id)), 15_000, "answers");
        for (const id of queries) {
            expect(h.tg.answerTo(id)).toMatchObject({ text: STALE_BUTTON, show_alert: true });
        }
        expect(h.cdn.requests.length).toBe(before);
        expect(h.tg.callsTo(user.id, "sendMediaGroup")).toEqual([]);
        expect(h.tg.callsTo(user.id, "sendMessage")).toEqual([]);
    });

    it("a press on a card the bot can no longer access (date 0) gets the stale-button alert only", async () => {
        const p = standardProduct({ photos: 2, video: false });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: нет"]);
        const cardId = cardMessageId(h.tg, user.id);
        const card = h.tg.textOf(user.id, cardId);
        const images = () => h.cdn.requestsFor(p.nm).filter((r) => r.path.includes("/images/"));
        const imagesBefore = images().length;
        const query = h.tg.pressButtonOnInaccessibleMessage(user, `download:${p.nm}:photo`, cardId);
        await h.tg.waitFor(() => h.tg.answerTo(query) !== undefined, 15_000, "the answer");
        expect(h.tg.answerTo(query)).toMatchObject({ text: STALE_BUTTON, show_alert: true });
        expect(images()).toHaveLength(imagesBefore);
        expect(h.tg.callsTo(user.id, "sendMediaGroup")).toEqual([]);
        expect(h.tg.textOf(user.id, cardId)).toBe(card);
        expect(h.tg.markupOf(user.id, cardId)).toBeDefined();
    });

    it("a video button for a product without video says so (case 20)", async () => {
        const p = standardProduct({ photos: 2, video: false });
        h.cdn.add(p);
        const user = newUser();
        const cardId = await press(user, p, "video");
        await h.tg.waitFor(() =>
            /У этого товара нет видео/.test(h.tg.textOf(user.id, cardId) ?? ""),
        );
        expect(await eventRows(h, user.id, "video_sent")).toEqual([]);
    });

    it("a photo button for a product the CDN no longer has fails clearly (case 21)", async () => {
        const p = standardProduct({ photos: 2, video: false });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: нет"]);
        h.cdn.fault(new RegExp(`/${p.nm}/images/`), { status: 404 });
        const cardId = cardMessageId(h.tg, user.id);
        h.tg.pressButton(user, `download:${p.nm}:photo`, cardId);
        await h.tg.waitFor(() =>
            /Не удалось загрузить медиа/.test(h.tg.textOf(user.id, cardId) ?? ""),
        );
        expect(h.tg.callsTo(user.id, "sendMediaGroup")).toEqual([]);
    });

    it("keeps the specific video error: a missing segment is reported as a broken video (10.2.5)", async () => {
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`/${p.nm}/hls/1440p/seg002\\.ts$`), { status: 404 });
        const user = newUser();
        const cardId = await press(user, p, "video");
        await h.tg.waitFor(
            () => /повреждено/.test(h.tg.textOf(user.id, cardId) ?? ""),
            30_000,
            "broken-video text",
        );
        await new Promise((resolve) => setTimeout(resolve, 1200));
        expect(h.tg.textOf(user.id, cardId)).toContain("недоступно или повреждено");
        expect(h.tg.callsTo(user.id, "sendVideo")).toEqual([]);
        expect(await eventRows(h, user.id, "video_sent")).toEqual([]);
        expect(readdirSync(h.tempDir).filter((f) => f.startsWith("wbv-"))).toEqual([]);
    });

    it("refuses a truncated playlist before starting ffmpeg", async () => {
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`/${p.nm}/hls/1440p/index\\.m3u8$`), { truncate: true });
        const user = newUser();
        const cardId = await press(user, p, "video");
        await h.tg.waitFor(() => /повреждено/.test(h.tg.textOf(user.id, cardId) ?? ""), 15_000);
        expect(h.cdn.requestsFor(p.nm).filter((r) => r.path.endsWith(".ts"))).toEqual([]);
    });

    it("with 'both', a failed video leaves the photos and says why (case 45)", async () => {
        const p = standardProduct({ photos: 2 });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`/${p.nm}/hls/1440p/index\\.m3u8$`), { truncate: true });
        const user = newUser();
        await press(user, p, "both");
        const text = await waitForText(h.tg, user.id, ["Фото отправлены", "повреждено"], 20_000);
        expect(text).toContain("видео отправить не удалось");
        expect(h.tg.callsTo(user.id, "sendMediaGroup")).toHaveLength(1);
        expect(await eventRows(h, user.id, "photo_sent")).toHaveLength(1);
        expect(await eventRows(h, user.id, "video_sent")).toEqual([]);
    });
});

describe("video size limit", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness({ database: false, env: { HLS_MAX_VIDEO_SIZE_MB: "1" } });
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("refuses a video above HLS_MAX_VIDEO_SIZE_MB before uploading, with a clear message", async () => {
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        const cardId = cardMessageId(h.tg, user.id);
        h.tg.pressButton(user, `download:${p.nm}:video`, cardId);
        await h.tg.waitFor(
            () => /слишком большое/.test(h.tg.textOf(user.id, cardId) ?? ""),
            30_000,
        );
        expect(h.tg.textOf(user.id, cardId)).toContain("1 МБ");
        expect(h.tg.callsOf("sendVideo")).toEqual([]);
        expect(readdirSync(h.tempDir).filter((f) => f.startsWith("wbv-"))).toEqual([]);
    });
});

async function eventRows(h: Harness, userId: number, type: string): Promise<unknown[]> {
    let rows: Array<{ event_data: unknown }> = [];
    for (let i = 0; i < 40; i++) {
        rows = await h.db!.query<{ event_data: unknown }>(
            "SELECT event_data FROM shared.analytics_events WHERE telegram_id = $1 AND event_type = $2 ORDER BY id",
            [userId, type],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return rows.map((r) => r.event_data);
}
