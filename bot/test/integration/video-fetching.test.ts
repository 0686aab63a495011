import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";
import type { FakeProduct } from "../helpers/fake-cdn.js";

// How the video bytes are fetched (issue 14): never from a host outside the allow-list, not even
// through a redirect, and a stalled download frees the only ffmpeg slot quickly.
describe("video fetching", () => {
    let h: Harness;
    let outside: Server;
    let outsideUrl = "";
    const outsideHits: string[] = [];

    beforeAll(async () => {
        // Another loopback address stands for a host that is not on the allow-list (127.0.0.1).
        outside = createServer((req, res) => {
            outsideHits.push(req.url ?? "");
            res.writeHead(404).end();
        });
        await new Promise<void>((resolve) => outside.listen(0, "127.0.0.2", resolve));
        const address = outside.address();
        outsideUrl = `http://127.0.0.2:${typeof address === "object" && address ? address.port : 0}`;
        h = await startHarness({
            database: false,
            env: { FFMPEG_MAX_JOBS: "1", HLS_READ_TIMEOUT: "1", HLS_CONVERT_TIMEOUT: "120" },
        });
    });
    afterAll(async () => {
        await h?.stop();
        outside?.closeAllConnections();
        await new Promise<void>((resolve) => outside?.close(() => resolve()) ?? resolve());
    });

    async function pressVideo(p: FakeProduct): Promise<{ userId: number; cardId: number }> {
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        const cardId = cardMessageId(h.tg, user.id);
        h.tg.pressButton(user, `download:${p.nm}:video`, cardId);
        return { userId: user.id, cardId };
    }

    it("refuses a segment redirect to a host outside the allow-list; nothing reaches that host", async () => {
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`/${p.nm}/hls/1440p/seg001\\.ts$`), {
            redirect: `${outsideUrl}/seg001.ts`,
        });
        const { userId, cardId } = await pressVideo(p);
        await h.tg.waitFor(
            () => /повреждено/.test(h.tg.textOf(userId, cardId) ?? ""),
            20_000,
            "the broken-video text",
        );
        expect(outsideHits).toEqual([]);
        expect(h.tg.callsTo(userId, "sendVideo")).toEqual([]);
    });

    it("follows a redirect that stays on allowed hosts", async () => {
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        h.cdn.fault(new RegExp(`/${p.nm}/hls/1440p/seg001\\.ts$`), {
            redirect:
                `${h.cdn.url}/videonme-basket-${String(p.video!.basket).padStart(2, "0")}` +
                `/vol${p.video!.vol}/part${Math.floor(p.nm / 10_000)}/${p.nm}/hls/1440p/seg001.ts?moved=1`,
        });
        const { userId } = await pressVideo(p);
        await h.tg.waitFor(() => h.tg.callsTo(userId, "sendVideo").length === 1, 30_000, "video");
        expect(h.cdn.requestsFor(p.nm).some((r) => r.path.endsWith("seg001.ts?moved=1"))).toBe(
            true,
        );
    });

    it("a stalled segment ends the job and frees the ffmpeg slot for the next user", async () => {
        const stalled = standardProduct({ photos: 1 });
        const next = standardProduct({ photos: 1 });
        h.cdn.add(stalled);
        h.cdn.add(next);
        h.cdn.fault(new RegExp(`/${stalled.nm}/hls/1440p/seg002\\.ts$`), { stall: true });
        const first = await pressVideo(stalled);
        await h.tg.waitFor(
            () => h.cdn.requestsFor(stalled.nm).some((r) => r.path.endsWith("seg002.ts")),
            20_000,
            "the stalled segment requested",
        );
        const second = await pressVideo(next);
        await h.tg.waitFor(
            () => /недоступно или повреждено/.test(h.tg.textOf(first.userId, first.cardId) ?? ""),
            20_000,
            "the stalled job's failure text",
        );
        await h.tg.waitFor(
            () => h.tg.callsTo(second.userId, "sendVideo").length === 1,
            20_000,
            "the next user's video",
        );
        expect(h.tg.callsTo(first.userId, "sendVideo")).toEqual([]);
    });
});
