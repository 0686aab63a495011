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

    it("file_ids keep their order and are replaced as a set", async () => {
        await fresh().setFileIds("444444", "photo", ["a", "b", "c"]);
        expect(await fresh().getFileIds("444444", "photo")).toEqual(["a", "b", "c"]);
        await fresh().setFileIds("444444", "photo", ["z"]);
        expect(await fresh().getFileIds("444444", "photo")).toEqual(["z"]);
        expect(await fresh().getFileIds("444444", "video")).toEqual([]);
    });
});
