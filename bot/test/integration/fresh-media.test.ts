import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeProduct } from "../helpers/fake-cdn.js";
import type { ApiCall, TgUser } from "../helpers/fake-telegram.js";
import {
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";

// Cached file_ids are valid only while the CDN content they came from is unchanged (issue 14),
// and a product with photos missing on the CDN still gets the photos that exist.
describe("fresh media", () => {
    let h: Harness;
    beforeAll(async () => {
        h = await startHarness();
    });
    afterAll(async () => {
        await h?.stop();
    });

    const card = (photos: number, hasVideo = true) => ({
        media: { photo_count: photos, has_video: hasVideo },
    });

    /** One user's whole visit: the article, the card, a button, until the card is gone. */
    async function visit(
        p: FakeProduct,
        kind: "photo" | "video",
    ): Promise<{ user: TgUser; card: string }> {
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        const text = await waitForText(h.tg, user.id, [p.video ? "Видео: есть" : "Видео: нет"]);
        const cardId = cardMessageId(h.tg, user.id);
        h.tg.pressButton(user, `download:${p.nm}:${kind}`, cardId);
        await h.tg.waitFor(() => h.tg.isDeleted(user.id, cardId), 30_000, "delivery");
        return { user, card: text };
    }

    const album = (user: TgUser): ApiCall => h.tg.callsTo(user.id, "sendMediaGroup")[0]!;
    const media = (call: ApiCall) =>
        (call.payload.media as Array<{ media: string }>).map((m) => m.media);

    it("a seller's new photos show at the next request; unchanged photos go by file_id", async () => {
        const p = standardProduct({ photos: 3, card: card(3) });
        h.cdn.add(p);
        const first = await visit(p, "photo");
        expect(album(first.user).uploads).toHaveLength(3);

        h.cdn.update(p.nm, { photos: 5, card: card(5) });
        const second = await visit(p, "photo");
        expect(second.card).toContain("Фото: 5 шт.");
        const sent = media(album(second.user));
        expect(sent).toHaveLength(5);
        expect(sent.slice(0, 3)).toEqual(Array(3).fill(expect.stringMatching(/^photo-file-/)));
        expect(sent.slice(3)).toEqual([
            expect.stringMatching(/^attach:/),
            expect.stringMatching(/^attach:/),
        ]);
        expect(album(second.user).uploads).toHaveLength(2);
    });

    it("a photo replaced in place (same count, same card.json) is uploaded again, alone", async () => {
        const p = standardProduct({ photos: 3, card: card(3) });
        h.cdn.add(p);
        const first = await visit(p, "photo");
        h.cdn.update(p.nm, { photoRevisions: { 2: 1 } });
        const second = await visit(p, "photo");
        const [one, two, three] = media(album(second.user));
        const before = h.tg.callsTo(first.user.id, "sendMediaGroup")[0]!;
        expect(before.uploads).toHaveLength(3);
        expect(one).toMatch(/^photo-file-/);
        expect(two).toMatch(/^attach:/);
        expect(three).toMatch(/^photo-file-/);
        expect(album(second.user).uploads).toHaveLength(1);
    });

    it("works with Last-Modified alone, and with no validators at all (same bytes, no upload)", async () => {
        for (const mode of ["last-modified", "none"] as const) {
            h.cdn.validators = mode;
            const p = standardProduct({ photos: 2, card: card(2, false), video: false });
            h.cdn.add(p);
            await visit(p, "photo");
            const before = h.cdn.requestsFor(p.nm).length;
            const second = await visit(p, "photo");
            expect(album(second.user).uploads, mode).toEqual([]);
            const photoGets = h.cdn
                .requestsFor(p.nm)
                .slice(before)
                .filter((r) => r.path.endsWith(".webp"));
            expect(
                photoGets.map((r) => r.status),
                mode,
            ).toEqual(mode === "none" ? [200, 200] : [304, 304]);
        }
        h.cdn.validators = "both";
    });

    it("a video moved by the seller is found and converted again instead of resending the old one", async () => {
        const p = standardProduct({ photos: 1, card: card(1) });
        h.cdn.add(p);
        const first = await visit(p, "video");
        expect(h.tg.callsTo(first.user.id, "sendVideo")[0]!.uploads).toHaveLength(1);
        h.cdn.update(p.nm, { video: { ...p.video!, rendition: "1080p" } });
        const second = await visit(p, "video");
        const resent = h.tg.callsTo(second.user.id, "sendVideo")[0]!;
        expect(resent.uploads).toHaveLength(1);
        expect(
            h.cdn
                .requestsFor(p.nm)
                .some((r) => r.path.includes("/hls/1080p/") && r.path.endsWith(".ts")),
        ).toBe(true);
    });

    it("sends the photos that exist and says how many could not be fetched", async () => {
        const p = standardProduct({ photos: 4, card: card(5, false), video: false });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Фото: 5 шт."]);
        const cardId = cardMessageId(h.tg, user.id);
        h.tg.pressButton(user, `download:${p.nm}:photo`, cardId);
        const notice = await waitForText(h.tg, user.id, ["Не удалось загрузить 1 из 5 фото"]);
        expect(notice).toContain("Остальные отправлены");
        expect(album(user).uploads).toHaveLength(4);
        // Pressing again is no longer a dead end either.
        h.tg.pressButton(user, `download:${p.nm}:photo`, cardId);
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMediaGroup").length === 2);
    });
});
