import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import {
    CHANNEL_ID,
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";

// Analytics and caches on real Postgres: outages, JSON, the Moscow-day digest, restarts.
describe("database outage", () => {
    let h: Harness;
    let proxy: TcpProxy;
    beforeAll(async () => {
        h = await startHarness({
            database: (db) => {
                const url = new URL(db.url);
                proxy = new TcpProxy(url.hostname, Number(url.port));
                return url.href;
            },
        });
        // Re-point the bot at the proxy: restart the app with the proxied URL.
        await proxy.up();
        await h.app.stop();
        const url = new URL(h.db!.url);
        url.port = String(proxy.port);
        h.app = await startApp({ ...h.config, databaseUrl: url.href }, pino({ level: "silent" }));
    });
    afterAll(async () => {
        await proxy?.down();
        await h?.stop();
    });

    it("keeps serving users while the database is down and writes every event when it returns", async () => {
        for (let i = 0; i < 100; i++) {
            const t = await h.db!.query("SELECT to_regclass('mpcabinet.media_files') AS t");
            if (t[0]!.t) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await proxy.down();
        const downAt = new Date();
        const p = standardProduct({ photos: 2, video: false });
        h.cdn.add(p);
        const user = newUser("Офлайн");
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(
            () => h.tg.callsTo(user.id, "sendMessage").length === 2,
            10_000,
            "start",
        );
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: нет"], 20_000);
        h.tg.pressButton(user, `download:${p.nm}:photo`, cardMessageId(h.tg, user.id));
        await h.tg.waitFor(
            () => h.tg.callsTo(user.id, "sendMediaGroup").length === 1,
            15_000,
            "photos",
        );
        // No notice while it is unknown whether the user is new (10.2.15).
        expect(noticesFor(h, user.id)).toHaveLength(0);
        // photo_sent is tracked once Telegram has answered the album, a moment after the request.
        await h.tg.waitFor(() => h.app.deps.analytics.pending === 3, 5000, "three pending events");

        await proxy.up();
        const upAt = new Date();
        let rows: Array<{ event_type: string; event_data: unknown; created_at: Date }> = [];
        for (let i = 0; i < 400 && rows.length < 3; i++) {
            rows = await h.db!.query(
                "SELECT event_type, event_data, created_at FROM shared.analytics_events WHERE telegram_id = $1 ORDER BY id",
                [user.id],
            );
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(rows.map((r) => [r.event_type, r.event_data])).toEqual([
            ["user_start", { is_new: true }],
            ["article_request", { nm_id: p.nm }],
            ["photo_sent", { nm_id: p.nm, count: 2 }],
        ]);
        // Events keep the time they happened (UTC, without time zone), not the time of the flush.
        const utcMs = (d: Date) => d.getTime() - d.getTimezoneOffset() * 60_000;
        for (const row of rows) {
            expect(utcMs(row.created_at)).toBeGreaterThanOrEqual(downAt.getTime() - 1000);
            expect(utcMs(row.created_at)).toBeLessThanOrEqual(upAt.getTime());
        }
        await h.tg.waitFor(() => noticesFor(h, user.id).length === 1, 5000, "late new-user notice");
    });
});

describe("analytics and caches", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness();
    });
    afterAll(async () => {
        await h?.stop();
    });

    it("stores event JSON with quotes, newlines and backslashes intact (10.2.13)", async () => {
        const user = { id: 8_200_001, firstName: "O'Brien" };
        const message = `it's "quoted"\nline two \\ back'slash`;
        h.app.deps.analytics.track(user, "error", { error_type: "unexpected_error", message });
        let rows: Array<{ event_data: unknown }> = [];
        for (let i = 0; i < 100 && rows.length === 0; i++) {
            rows = await h.db!.query(
                "SELECT event_data FROM shared.analytics_events WHERE telegram_id = $1",
                [user.id],
            );
            await new Promise((resolve) => setTimeout(resolve, 30));
        }
        expect(rows).toEqual([{ event_data: { error_type: "unexpected_error", message } }]);
        // The user row was created by the event itself, so the foreign key did not drop it (10.2.14).
        const users = await h.db!.query(
            "SELECT first_name FROM shared.users WHERE telegram_id = $1",
            [user.id],
        );
        expect(users).toEqual([{ first_name: "O'Brien" }]);
    });

    it("the digest covers the Moscow calendar day, not the UTC day (10.2.16)", async () => {
        await h.db!.query(
            `INSERT INTO shared.users (telegram_id, first_seen, last_seen) VALUES
                (9100001, '2026-03-09 20:59:59', '2026-03-09 20:59:59'),
                (9100002, '2026-03-09 21:00:00', '2026-03-09 21:00:00'),
                (9100003, '2026-03-10 20:59:59', '2026-03-10 20:59:59'),
                (9100004, '2026-03-10 21:00:00', '2026-03-10 21:00:00')`,
        );
        await h.db!.query(
            `INSERT INTO shared.analytics_events (telegram_id, event_type, event_data, created_at) VALUES
                (9100001, 'article_request', '{"nm_id": 1}', '2026-03-09 20:59:59'),
                (9100002, 'article_request', '{"nm_id": 2}', '2026-03-09 21:00:00'),
                (9100002, 'photo_sent', '{"nm_id": 2, "count": 7}', '2026-03-10 12:00:00'),
                (9100003, 'photo_sent', '{"nm_id": 3, "count": 5}', '2026-03-10 20:59:59'),
                (9100003, 'video_sent', '{"nm_id": 3}', '2026-03-10 20:00:00'),
                (9100004, 'article_request', '{"nm_id": 4}', '2026-03-10 21:00:00'),
                (9100004, 'error', '{"error_type": "x"}', '2026-03-10 21:30:00')`,
        );
        await h.app.channel!.sendDigest("2026-03-10");
        const digest = String(h.tg.callsTo(CHANNEL_ID).at(-1)!.payload.text);
        expect(digest).toContain("Статистика за 10.03.2026");
        expect(digest).toContain("Новых: 2");
        expect(digest).toContain("Запросов артикулов: 1");
        expect(digest).toContain("Отправлено фото: 12");
        expect(digest).toContain("Отправлено видео: 1");
        expect(digest).not.toContain("Ошибок");
    });

    it("caches (basket, product, video, file_ids) survive a restart", async () => {
        const p = standardProduct({ photos: 3, card: { media: { photo_count: 3 } } });
        h.cdn.add(p);
        const first = newUser();
        h.tg.sendText(first, String(p.nm));
        await waitForText(h.tg, first.id, ["Видео: есть"]);
        h.tg.pressButton(first, `download:${p.nm}:both`, cardMessageId(h.tg, first.id));
        await h.tg.waitFor(() => h.tg.callsTo(first.id, "sendVideo").length === 1, 30_000, "video");
        await new Promise((resolve) => setTimeout(resolve, 300));

        await h.app.stop();
        h.app = await startApp(h.config, pino({ level: "silent" }));
        const before = h.cdn.requestsFor(p.nm).length;
        const second = newUser();
        h.tg.sendText(second, String(p.nm));
        await waitForText(h.tg, second.id, ["Видео: есть", "Фото: 3 шт."]);
        h.tg.pressButton(second, `download:${p.nm}:both`, cardMessageId(h.tg, second.id));
        await h.tg.waitFor(
            () => h.tg.callsTo(second.id, "sendVideo").length === 1,
            15_000,
            "video",
        );
        // Only "changed since?" questions, all answered 304, and no upload.
        const after = h.cdn.requestsFor(p.nm).slice(before);
        expect(after.length).toBe(1 + 3 + 1);
        expect(after.every((r) => r.conditional && r.status === 304)).toBe(true);
        expect(h.tg.callsTo(second.id, "sendVideo")[0]!.uploads).toEqual([]);
        expect(h.tg.callsTo(second.id, "sendMediaGroup")[0]!.uploads).toEqual([]);
    });
});

function noticesFor(h: Harness, userId: number) {
    return h.tg.callsTo(CHANNEL_ID).filter((c) => String(c.payload.text).includes(String(userId)));
}
