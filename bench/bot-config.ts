import { join } from "node:path";
import { loadConfig, type Config } from "../bot/src/config.js";
import type { FakeCdn } from "../bot/test/helpers/fake-cdn.js";
import { FakeTelegram } from "../bot/test/helpers/fake-telegram.js";
import { baseEnv } from "../bot/test/helpers/harness.js";

export interface BotEnvOptions {
    tg: FakeTelegram;
    cdn: FakeCdn;
    tempDir: string;
    /** Where the bot sends Bot API calls (the metering proxy in front of the fake). */
    apiUrl: string;
    databaseUrl?: string;
    extra?: Record<string, string>;
}

/**
 * The bot's environment for the bench: the test harness' env (fake CDN host templates, allow-list
 * 127.0.0.1), but production defaults for timeouts and rate limits, a local-mode Bot API and
 * JSON logs at info level (the bench counts error lines).
 */
export function benchEnv(o: BotEnvOptions): Record<string, string> {
    const env = baseEnv(o.tg, o.cdn, o.tempDir, {
        TELEGRAM_API_BASE_URL: o.apiUrl,
        TELEGRAM_API_LOCAL: "true",
        TELEGRAM_LOGOUT_FROM_CLOUD: "false",
        HLS_MAX_VIDEO_SIZE_MB: "2000",
        HEARTBEAT_FILE: join(o.tempDir, "heartbeat"),
        LOG_LEVEL: "info",
        ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
        ...o.extra,
    });
    for (const key of ["WB_API_TIMEOUT", "RATE_LIMIT_SECONDS", "CALLBACK_RATE_LIMIT_SECONDS"]) {
        if (!o.extra || !(key in o.extra)) delete env[key];
    }
    return env;
}

export function parseBotConfig(env: Record<string, string>): Config {
    const loaded = loadConfig(env);
    if (!loaded.ok) throw new Error(`bot config rejected: ${loaded.errors.join("; ")}`);
    return loaded.config;
}

/** The bot's parsed config for in-process use of its services against `cdn` (no Bot API). */
export function inProcessConfig(cdn: FakeCdn, tempDir: string): Config {
    const unused = new FakeTelegram("0:not-started");
    return parseBotConfig(benchEnv({ tg: unused, cdn, tempDir, apiUrl: "http://127.0.0.1:9" }));
}
