import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

const TOKEN = "123456789:TEST-fake-token-not-real-abcdef";

function ok(env: Record<string, string>) {
    const result = loadConfig({ BOT_TOKEN: TOKEN, ...env });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return result.config;
}

function errors(env: Record<string, string>): string[] {
    const result = loadConfig(env);
    return result.ok ? [] : result.errors;
}

describe("loadConfig", () => {
    it("has production defaults: WB CDN hosts only, one ffmpeg job, 250/20 CDN limits", () => {
        const c = ok({});
        expect(c.apiRoot).toBe("https://api.telegram.org");
        expect(c.apiLocal).toBe(false);
        expect(c.cdn.allowedHosts).toEqual([".wbbasket.ru", ".wbcontent.net"]);
        expect(c.cdn.maxRequestsPerArticle).toBe(250);
        expect(c.cdn.maxInFlight).toBe(20);
        expect(c.lookupDeadlineMs).toBe(15_000);
        expect(c.videoNotFoundTtlMs).toBe(600_000);
        expect(c.ffmpegMaxJobs).toBe(1);
        expect(c.dbSchema).toBe("mpcabinet");
        expect(c.analyticsEnabled).toBe(true);
        expect(c.databaseUrl).toBeUndefined();
    });

    it("caps the video size at 50 MB on the cloud API and allows 2000 MB in local mode (10.2.11)", () => {
        expect(ok({ HLS_MAX_VIDEO_SIZE_MB: "2000" }).maxVideoMb).toBe(50);
        const local = ok({
            HLS_MAX_VIDEO_SIZE_MB: "2000",
            TELEGRAM_API_BASE_URL: "http://telegram-bot-api:8081",
            TELEGRAM_API_LOCAL: "true",
            TELEGRAM_LOGOUT_FROM_CLOUD: "true",
        });
        expect(local.maxVideoMb).toBe(2000);
        expect(local.maxVideoBytes).toBe(2000 * 1024 * 1024);
        expect(local.logoutFromCloud).toBe(true);
        expect(local.apiRoot).toBe("http://telegram-bot-api:8081");
    });

    it("logs out from the cloud only when asked to and a local server is in use", () => {
        expect(ok({ TELEGRAM_LOGOUT_FROM_CLOUD: "true" }).logoutFromCloud).toBe(false);
        expect(
            ok({
                TELEGRAM_API_BASE_URL: "http://telegram-bot-api:8081",
                TELEGRAM_API_LOCAL: "true",
            }).logoutFromCloud,
        ).toBe(false);
    });

    it("reports every bad variable at once, one line each, without values", () => {
        const lines = errors({
            BOT_TOKEN: "oops-secret-value",
            HLS_MAX_VIDEO_SIZE_MB: "0",
            FFMPEG_MAX_JOBS: "many",
            DATABASE_URL: "mysql://x",
            ANALYTICS_CHANNEL_ID: "channel",
            COMMUNITY_INVITE_LINK: "http://example.com",
        });
        expect(lines.map((l) => l.split(":")[0])).toEqual([
            "BOT_TOKEN",
            "DATABASE_URL",
            "HLS_MAX_VIDEO_SIZE_MB",
            "FFMPEG_MAX_JOBS",
            "COMMUNITY_INVITE_LINK",
            "ANALYTICS_CHANNEL_ID",
        ]);
        expect(lines.join("\n")).not.toContain("oops-secret-value");
    });

    it("refuses CDN hosts outside the allow-list and local mode without a server URL", () => {
        expect(
            errors({ BOT_TOKEN: TOKEN, WB_VIDEO_HOST_TEMPLATE: "https://x-{NN}.example.com" }),
        ).toEqual([
            "WB_VIDEO_HOST_TEMPLATE: host is not in WB_CDN_ALLOWED_HOSTS (https on WB CDN hosts only)",
        ]);
        expect(
            errors({ BOT_TOKEN: TOKEN, WB_PHOTO_HOST_TEMPLATE: "https://basket.wbbasket.ru" }),
        ).toEqual(["WB_PHOTO_HOST_TEMPLATE: must contain the {NN} placeholder"]);
        expect(errors({ BOT_TOKEN: TOKEN, TELEGRAM_API_LOCAL: "true" })).toEqual([
            "TELEGRAM_API_LOCAL: needs TELEGRAM_API_BASE_URL (the local Bot API server)",
        ]);
    });

    it("refuses a schema that is not the bot's own", () => {
        expect(errors({ BOT_TOKEN: TOKEN, DB_SCHEMA: "shared" })[0]).toMatch(/^DB_SCHEMA: /);
    });
});
