import { existsSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "../../src/app.js";
import { FakeTelegram } from "../helpers/fake-telegram.js";
import {
    cardMessageId,
    newUser,
    startHarness,
    TOKEN,
    waitForText,
    type Harness,
} from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";
import { probe } from "../helpers/probe.js";

// A local Bot API server: one logOut on the cloud API, uploads by path on the shared volume.
describe("local Bot API mode", () => {
    let h: Harness;
    let cloud: FakeTelegram;
    beforeAll(async () => {
        cloud = new FakeTelegram(TOKEN);
        await cloud.start();
        h = await startHarness({
            env: {
                TELEGRAM_API_LOCAL: "true",
                TELEGRAM_CLOUD_API_BASE_URL: cloud.url,
                TELEGRAM_LOGOUT_FROM_CLOUD: "true",
                HLS_MAX_VIDEO_SIZE_MB: "2000",
            },
        });
    });
    afterAll(async () => {
        await h?.stop();
        await cloud?.stop();
    });

    it("calls logOut on the cloud API once and remembers it across restarts", async () => {
        expect(h.config.maxVideoMb).toBe(2000);
        await cloud.waitFor(() => cloud.callsOf("logOut").length === 1, 10_000, "logOut");
        let rows: unknown[] = [];
        for (let i = 0; i < 100 && rows.length === 0; i++) {
            rows = await h.db!.query(
                "SELECT key FROM mpcabinet.bot_state WHERE key = 'cloud_logout:123456789'",
            );
            await new Promise((resolve) => setTimeout(resolve, 30));
        }
        expect(rows).toHaveLength(1);
        await h.app.stop();
        h.app = await startApp(h.config, pino({ level: "silent" }));
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(cloud.callsOf("logOut")).toHaveLength(1);
        expect(h.tg.callsOf("logOut")).toEqual([]);
    });

    it("uploads the converted video by local path instead of streaming bytes", async () => {
        const p = standardProduct({ photos: 1 });
        h.cdn.add(p);
        const user = newUser();
        h.tg.sendText(user, String(p.nm));
        await waitForText(h.tg, user.id, ["Видео: есть"]);
        h.tg.pressButton(user, `download:${p.nm}:video`, cardMessageId(h.tg, user.id));
        await h.tg.waitFor(() => h.tg.callsTo(user.id, "sendVideo").length === 1, 30_000, "video");
        const call = h.tg.callsTo(user.id, "sendVideo")[0]!;
        expect(String(call.payload.video)).toMatch(/^file:\/\//);
        const upload = call.uploads[0]!;
        expect(upload.localPath!.startsWith(h.tempDir)).toBe(true);
        expect(
            probe(upload.data)
                .streams.map((s) => s.codec_name)
                .sort(),
        ).toEqual(["aac", "h264"]);
        await h.tg.waitFor(() => !existsSync(upload.localPath!), 5000, "temp file removed");
    });
});
