import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseOperationsConfig } from "../../../components/config/operations-config";

const S3 = { endpoint: "https://x.test", bucket: "b-1" };

function problems(raw: unknown, requireSecrets = false): string {
    try {
        parseOperationsConfig(raw, requireSecrets);
    } catch (error) {
        if (error instanceof z.ZodError) return error.issues.map((issue) => issue.message).join();
        return String(error);
    }
    throw new Error("expected the config to be rejected");
}

describe("operations config", () => {
    it("defaults to a 03:00 backup kept 7 days, a 5-minute monitor with 2 GB VPS limits and a 200M journal", () => {
        expect(parseOperationsConfig({}).config).toEqual({
            backups: { time: "03:00", retentionDays: 7 },
            monitor: {
                intervalMinutes: 5,
                disk: { minFreePercent: 10, minFreeInodesPercent: 10 },
                memory: { minAvailableMb: 200, lowChecks: 3 },
            },
            journald: { systemMaxUse: "200M", systemKeepFree: "1G" },
            images: { buildCacheKeepMb: 512 },
        });
        const partial = parseOperationsConfig({ monitor: { disk: { minFreePercent: 20 } } });
        expect(partial.config.monitor.disk).toEqual({
            minFreePercent: 20,
            minFreeInodesPercent: 10,
        });
    });

    it("splits the S3 keys off the plain config", () => {
        const { config, offsiteKeys } = parseOperationsConfig({
            backups: {
                s3: {
                    endpoint: "https://s3.twcstorage.ru",
                    bucket: "my-bucket",
                    accessKeyId: "KEYID123",
                    secretAccessKey: "s3cr3t/x+y",
                },
            },
        });
        expect(config.backups.s3).toEqual({
            endpoint: "https://s3.twcstorage.ru",
            bucket: "my-bucket",
            region: "ru-1",
            prefix: "telegram-ecosystem/",
        });
        expect(JSON.stringify(config)).not.toContain("s3cr3t");
        expect(offsiteKeys).toEqual({ accessKeyId: "KEYID123", secretAccessKey: "s3cr3t/x+y" });
    });

    it("requires the S3 keys for a real run", () => {
        const message = problems({ backups: { s3: S3 } }, true);
        expect(message).toContain("pulumi config set --secret --path backups.s3.accessKeyId");
        expect(message).toContain("backups.s3.secretAccessKey");
    });

    it.each([
        [{ backups: { time: "3:00" } }, "must be HH:MM"],
        [{ backups: { time: "24:00" } }, "must be HH:MM"],
        [{ backups: { retentionDays: 0 } }, "backups.retentionDays 7"],
        [{ backups: { retentionDays: 2.5 } }, "whole number"],
        [{ backups: { keep: 3 } }, "unknown key(s) keep"],
        [{ backups: { s3: { endpoint: "s3.twcstorage.ru", bucket: "b-1" } } }, "base URL"],
        [{ backups: { s3: { endpoint: "https://x.test", bucket: "B" } } }, "S3 bucket name"],
        [{ backups: { s3: { ...S3, prefix: "no-slash" } } }, 'ending in "/"'],
        [{ backups: { s3: { ...S3, secretAccessKey: 'has"quote' } } }, "no quotes"],
        [{ monitor: { intervalMinutes: 0.1 } }, "0.25 (15 s) to 1440"],
        [{ monitor: { intervalMinutes: 1.001 } }, "whole number of seconds"],
        [{ monitor: { alerts: { chatId: "admins" } } }, "numeric chat id"],
        [{ monitor: { alerts: { chatId: 1, apiBaseUrl: "ftp://x" } } }, '"local"'],
        [{ monitor: { disk: { minFreePercent: 0 } } }, "monitor.disk.minFreePercent 10"],
        [{ monitor: { disk: { minFreeInodesPercent: 100 } } }, "from 1 to 99"],
        [{ monitor: { disk: { free: 5 } } }, "unknown key(s) free"],
        [{ monitor: { memory: { minAvailableMb: "200M" } } }, "monitor.memory.minAvailableMb 200"],
        [{ monitor: { memory: { lowChecks: 0 } } }, "monitor.memory.lowChecks 3"],
        [{ monitor: { heartbeatUrl: "hc-ping/abc" } }, "monitor.heartbeatUrl"],
        [{ monitor: { heartbeatUrl: 'https://x.test/"a' } }, "without spaces, quotes"],
        [{ images: { buildCacheKeepMb: -1 } }, "images.buildCacheKeepMb 512"],
        [{ journald: { systemMaxUse: "200MB" } }, "size like 200M"],
    ])("rejects %j with a message that says how to fix it", (raw, expected) => {
        expect(problems(raw)).toContain(expected);
    });

    it("accepts a numeric chat id, a @channel and a custom Bot API URL", () => {
        const numeric = parseOperationsConfig({ monitor: { alerts: { chatId: -100123 } } });
        expect(numeric.config.monitor.alerts).toEqual({ chatId: "-100123", apiBaseUrl: "local" });
        const alerts = parseOperationsConfig({
            monitor: { alerts: { chatId: "@ops_channel", apiBaseUrl: "https://api.telegram.org" } },
        }).config.monitor.alerts;
        expect(alerts).toEqual({ chatId: "@ops_channel", apiBaseUrl: "https://api.telegram.org" });
    });
});
