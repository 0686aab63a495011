import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../../../src/services/storage/db.js";
import { MediaCache } from "../../../../src/services/storage/media-cache.js";
import { createTestDatabase, type TestDatabase } from "../../../helpers/postgres.js";

// Spec cases 30, 31, 34-36 against real Postgres: hits, misses, TTLs, overwrites, restarts.
describe("MediaCache on Postgres", () => {
    let tdb: TestDatabase;
    let db: Database;
    const log = pino({ level: "silent" });
    beforeAll(async () => {
        tdb = await createTestDatabase();
        db = new Database(tdb.url, "mpcabinet", log);
    });
    afterAll(async () => {
        await db?.close();
        await tdb?.drop();
    });

    /** A fresh cache object = a restarted bot: only Postgres remembers. */
    const fresh = (ttlMs = 60_000, notFoundTtlMs = 1000) =>
        new MediaCache(db, ttlMs, notFoundTtlMs, log);

    it("miss, then a URL, then 'no video' (case 34)", async () => {
        const cache = fresh();
        expect(await cache.getVideo("111111")).toBeUndefined();
        await cache.setVideo("111111", "https://v.example/1.m3u8");
        expect(await fresh().getVideo("111111")).toEqual({ url: "https://v.example/1.m3u8" });
        await cache.setVideo("111111", null);
        expect(await fresh().getVideo("111111")).toEqual({ url: null });
    });

    it("'no video' expires after its shorter TTL, a found URL does not (case 35)", async () => {
        const cache = fresh(60_000, 1000);
        await cache.setVideo("222222", null);
        await cache.setVideo("333333", "https://v.example/3.m3u8");
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await cache.getVideo("222222")).toBeUndefined();
        expect(await fresh(60_000, 1000).getVideo("222222")).toBeUndefined();
        expect(await fresh(60_000, 1000).getVideo("333333")).toEqual({
            url: "https://v.example/3.m3u8",
        });
    });

    it("vol -> basket: stored, overwritten by a newer answer, forgotten (cases 30, 31)", async () => {
        await fresh().setBasket(1234, 5);
        expect(await fresh().getBasket(1234)).toBe(5);
        await fresh().setBasket(1234, 15);
        expect(await fresh().getBasket(1234)).toBe(15);
        await fresh().forgetBasket(1234);
        expect(await fresh().getBasket(1234)).toBeUndefined();
    });

    it("file_ids are kept per media URL with the content they came from, and replaced", async () => {
        const url = "https://basket-01.wbbasket.ru/vol1/part100/100000/images/big/1.webp";
        const first = { fileId: "a", sha256: "h1", validator: { etag: '"e1"' } };
        await fresh().setFile(url, "photo", first);
        expect(await fresh().getFile(url)).toEqual(first);
        const second = {
            fileId: "b",
            sha256: "h2",
            validator: { lastModified: "Mon, 01 Jan 2026 00:00:00 GMT" },
        };
        await fresh().setFile(url, "photo", second);
        expect(await fresh().getFile(url)).toEqual(second);
        await fresh().forgetFiles([url]);
        expect(await fresh().getFile(url)).toBeUndefined();
    });

    it("file_ids have a bounded age", async () => {
        const url =
            "https://videonme-basket-01.wbbasket.ru/vol1/part10/100000/hls/1440p/index.m3u8";
        await fresh(1000).setFile(url, "video", { fileId: "v", sha256: "h" });
        expect(await fresh(1000).getFile(url)).toMatchObject({ fileId: "v" });
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await fresh(1000).getFile(url)).toBeUndefined();
    });

    it("product data keeps card.json's validators and when the CDN last confirmed it", async () => {
        const info = {
            title: "Платье",
            photoCount: 4,
            hasVideo: true,
            card: { validator: { etag: '"c1"', lastModified: "Tue, 02 Jun 2026 10:00:00 GMT" } },
            checkedAt: Date.now() - 5000,
        };
        await fresh().setProduct("555555", info);
        const read = await fresh().getProduct("555555");
        const { checkedAt: _written, ...stored } = info;
        expect(read).toMatchObject(stored);
        expect(Math.abs(read!.checkedAt - info.checkedAt)).toBeLessThan(2);
        const noCard = { photoCount: 2, card: null, checkedAt: Date.now() };
        await fresh().setProduct("666666", noCard);
        expect(await fresh().getProduct("666666")).toMatchObject({ photoCount: 2, card: null });
    });
});
