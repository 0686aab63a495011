import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { photoUrl, videoUrl } from "../../src/services/wb/wb-urls.js";
import { FakeService } from "../helpers/fake-service.js";
import {
    cardMessageId,
    newUser,
    startHarness,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { freshNm, standardProduct } from "../helpers/products.js";

// The optional ecosystem services of bot-spec 8.3-8.5, with their fallbacks.
describe("ecosystem services", () => {
    let h: Harness;
    const service = new FakeService();
    beforeAll(async () => {
        await service.start();
        h = await startHarness({
            env: {
                USE_WB_MEDIA_SERVICE: "true",
                WB_MEDIA_SERVICE_URL: service.url,
                WB_MEDIA_SERVICE_TIMEOUT: "2",
                USE_GATEWAY: "true",
                GATEWAY_URL: service.url,
                GATEWAY_API_KEY: "fake-gateway-key",
                USE_ANALYTICS_SERVICE: "true",
                ANALYTICS_SERVICE_URL: service.url,
            },
        });
    });
    afterAll(async () => {
        await h?.stop();
        await service.stop();
    });

    const templates = () => ({
        photoHostTemplate: h.cdn.photoTemplate,
        videoHostTemplate: h.cdn.videoTemplate,
    });

    it("takes photo and video URLs from the media service instead of probing the CDN", async () => {
        const p = standardProduct({ photos: 3 });
        h.cdn.add(p);
        const photos = [1, 2, 3].map((i) => photoUrl(templates(), p.photoBasket, p.nm, i));
        const video = videoUrl(templates(), p.video!.basket, p.video!.vol, p.nm, "1440p");
        service.on(new RegExp(`/api/wb/media/${p.nm}\\?include_video=(true|false)$`), (req) => ({
            status: 200,
            body: {
                nm_id: p.nm,
                photos,
                video_url: req.url.endsWith("true") ? video : null,
            },
        }));
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: есть", "Фото: 3 шт."]);
        expect(h.cdn.requestsFor(p.nm).filter((r) => r.method === "HEAD")).toEqual([]);
        h.tg.pressButton(user, `download:${p.nm}:photo`, cardMessageId(h.tg, user.id));
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMediaGroup").length === 1);
        expect(h.cdn.requestsFor(p.nm).filter((r) => r.method === "HEAD")).toEqual([]);
    });

    it("404 from the media service means 'not found' with no fallback", async () => {
        const nm = freshNm();
        service.on(new RegExp(`/api/wb/media/${nm}\\?`), () => ({ status: 404 }));
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["не найден", String(nm)]);
        expect(h.cdn.requestsFor(nm)).toEqual([]);
    });

    it("422 from the media service answers with the format hint", async () => {
        const nm = freshNm();
        service.on(new RegExp(`/api/wb/media/${nm}\\?`), () => ({ status: 422 }));
        const user = newUser();
        h.tg.sendText(user, String(nm));
        await waitForText(h.tg, user.id, ["Неверный формат"]);
    });

    it("falls back to the CDN when the service fails or returns non-CDN URLs", async () => {
        const broken = standardProduct({ photos: 2, video: false });
        const evil = standardProduct({ photos: 2, video: false });
        h.cdn.add(broken);
        h.cdn.add(evil);
        service.on(new RegExp(`/api/wb/media/${broken.nm}\\?`), () => ({ status: 503 }));
        service.on(new RegExp(`/api/wb/media/${evil.nm}\\?`), () => ({
            status: 200,
            body: { photos: ["https://evil.example/1.webp"], video_url: null },
        }));
        for (const p of [broken, evil]) {
            const user = newUser();
            h.tg.sendText(user, String(p.nm));
            await waitForText(h.tg, user.id, ["Фото: 2 шт."], 20_000);
            expect(h.cdn.requestsFor(p.nm).some((r) => r.method === "HEAD")).toBe(true);
        }
    });

    it("registers users with the gateway and copies every event to the analytics-service", async () => {
        service.on(/^\/api\/users\/$/, () => ({ status: 500 }));
        service.on(/^\/events$/, () => ({ status: 201, body: { status: "created" } }));
        const user = newUser("Гейт");
        h.tg.sendText(user, "/start");
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendMessage").length === 2);
        await h.tg.waitFor(
            () => service.requests.some((r) => r.url === "/events" && hasUser(r.body, user.id)),
            10_000,
            "event copy",
        );
        const registration = service.requests.find(
            (r) => r.url === "/api/users/" && hasUser(r.body, user.id),
        )!;
        expect(registration.authorization).toBe("Bearer fake-gateway-key");
        expect(registration.body).toEqual({
            telegram_id: user.id,
            username: user.username,
            first_name: "Гейт",
        });
        const copy = service.requests.find((r) => r.url === "/events" && hasUser(r.body, user.id))!;
        expect(copy.body).toEqual({
            telegram_id: user.id,
            event_type: "user_start",
            event_data: { is_new: true },
        });
        // The gateway failed, the local registration did not.
        const rows = await h.db!.query("SELECT 1 FROM shared.users WHERE telegram_id = $1", [
            user.id,
        ]);
        expect(rows).toHaveLength(1);
    });
});

function hasUser(body: unknown, id: number): boolean {
    return (body as { telegram_id?: number } | undefined)?.telegram_id === id;
}
